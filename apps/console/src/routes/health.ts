import type { FastifyInstance } from 'fastify'

export default async function healthRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get('/healthz', async function healthz () {
    return { status: 'ok' }
  })
  fastify.get('/readyz', async function readyz (request, reply) {
    try {
      await fastify.prisma.$queryRawUnsafe('SELECT 1')
      return { status: 'ready' }
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'database not reachable')
      return reply.code(503).send({ status: 'database unreachable' })
    }
  })
}
