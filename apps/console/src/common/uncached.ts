import type { FastifyInstance, FastifyPluginAsync } from 'fastify'

/** Registers routes whose answers no cache keeps (who has a conversation, who is online), unless a route says otherwise. */
export async function registerUncached (fastify: FastifyInstance, routes: FastifyPluginAsync): Promise<void> {
  await fastify.register(async function uncached (scope) {
    scope.addHook('onSend', async (_request, reply) => {
      if (reply.getHeader('cache-control') === undefined) void reply.header('cache-control', 'no-store')
    })
    await scope.register(routes)
  })
}
