import { readdirSync, readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { iconModule } from './icon-set.js'

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }

// The page's modules (one per concern: list, timeline, composer, live stream…) and style, read once at start from
// each feature's folder and served as /assets/<feature>/<name>, so that the browser resolves their imports of each
// other (`../common/api.js`) as they lie in src. They ship with the build (the .js and .css files of src, all of
// them browser modules, are copied beside dist). No build step: the browser loads them as ES modules.
const SRC = new URL('../../src/', import.meta.url)
const ASSETS = new Map<string, { type: string, body: Buffer }>()
for (const feature of readdirSync(SRC, { withFileTypes: true })) {
  if (!feature.isDirectory()) continue
  const dir = new URL(feature.name + '/', SRC)
  for (const name of readdirSync(dir)) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)]
    if (type !== undefined && /^[a-z0-9-]+\.(js|css)$/.test(name)) ASSETS.set(`${feature.name}/${name}`, { type, body: readFileSync(new URL(name, dir)) })
  }
}

// The icon set, built from lucide-static's SVGs (icon-set.ts).
ASSETS.set('icons/lucide.js', { type: TYPES.js!, body: Buffer.from(iconModule()) })

export default async function assetRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Params: { feature: string, name: string } }>('/assets/:feature/:name', async function asset (request, reply) {
    const found = ASSETS.get(`${request.params.feature}/${request.params.name}`)
    if (found === undefined) return reply.callNotFound()
    return reply.headers({ 'content-type': found.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(found.body)
  })
}
