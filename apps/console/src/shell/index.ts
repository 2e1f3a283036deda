// The page agents open (GET /: the console, or the sign-in gate) and the browser modules it loads (/assets/…).
import type { FastifyInstance } from 'fastify'
import assetRoutes from './assets.js'
import pageRoutes from './page.js'

export default async function shell (fastify: FastifyInstance): Promise<void> {
  await fastify.register(assetRoutes)
  await fastify.register(pageRoutes)
}
