import { readdirSync, readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }

// The page's modules (one per concern: list, timeline, composer, live stream…) and style, read once at start; they
// ship with the build (src/public is copied beside dist). No build step: the browser loads them as ES modules.
const DIR = new URL('../../src/public/', import.meta.url)
const ASSETS = new Map<string, { type: string, body: Buffer }>()
for (const name of readdirSync(DIR)) {
  const type = TYPES[name.slice(name.lastIndexOf('.') + 1)]
  if (type !== undefined && /^[a-z0-9-]+\.(js|css)$/.test(name)) ASSETS.set(name, { type, body: readFileSync(new URL(name, DIR)) })
}

export default async function assetRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Params: { name: string } }>('/assets/:name', async function asset (request, reply) {
    const found = ASSETS.get(request.params.name)
    if (found === undefined) return reply.callNotFound()
    return reply.headers({ 'content-type': found.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(found.body)
  })
}
