import type { FastifyInstance } from 'fastify'

export default async function healthRoutes (fastify: FastifyInstance): Promise<void> {
  const status = { type: 'object', properties: { status: { type: 'string' } } } as const

  fastify.get('/healthz', { schema: { summary: 'The process is up', response: { 200: status } } }, async function healthz () {
    return { status: 'ok' }
  })

  fastify.get('/readyz', { schema: { summary: 'The database answers', response: { 200: status, 503: status } } }, async function readyz (request, reply) {
    try {
      await fastify.prisma.$queryRawUnsafe('SELECT 1')
      return { status: 'ready' }
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'database not reachable')
      return reply.code(503).send({ status: 'database unreachable' })
    }
  })

  // Browsers ask for it on every first visit; an empty answer keeps their consoles free of 404s.
  fastify.get('/favicon.ico', async function favicon (_request, reply) {
    return reply.code(204).header('cache-control', 'public, max-age=86400').send()
  })
}
