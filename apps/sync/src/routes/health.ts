import type { FastifyInstance } from 'fastify'

export default async function healthRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get('/healthz', { schema: { summary: 'The process is up', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async function healthz () {
    return { status: 'ok' }
  })

  // Browsers ask for it on every first visit; an empty answer keeps their consoles free of 404s.
  fastify.get('/favicon.ico', async function favicon (_request, reply) {
    return reply.code(204).header('cache-control', 'public, max-age=86400').send()
  })
}
