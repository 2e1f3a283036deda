import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

// The page's script and style, read once at start; they ship with the build (src/public is copied beside dist).
const ASSETS: Record<string, { type: string, body: Buffer }> = {
  'console.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('../../src/public/console.js', import.meta.url)) },
  'console.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('../../src/public/console.css', import.meta.url)) }
}

export default async function assetRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Params: { name: string } }>('/assets/:name', async function asset (request, reply) {
    const found = ASSETS[request.params.name]
    if (found === undefined) return reply.callNotFound()
    return reply.headers({ 'content-type': found.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(found.body)
  })
}
