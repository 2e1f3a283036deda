import type { FastifyInstance } from 'fastify'

export default async function healthRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get('/healthz', { schema: { summary: 'The process is up', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async function healthz () {
    return { status: 'ok' }
  })
}
