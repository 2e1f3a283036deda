import fp from 'fastify-plugin'
import { createRedisClient, type RedisClient } from '@kefu/service'

export type { RedisClient }

declare module 'fastify' {
  interface FastifyInstance {
    /** null without REDIS_URL: state then lives in this process (single-instance, embedded mode). */
    redis: RedisClient | null
  }
}

export interface RedisPluginOptions {
  redis?: RedisClient
  redisUrl?: string
}

export default fp<RedisPluginOptions>(async function redis (fastify, opts) {
  if (opts.redis !== undefined || opts.redisUrl === undefined) {
    fastify.decorate('redis', opts.redis ?? null)
    return
  }
  const client = await createRedisClient(opts.redisUrl, (message) => fastify.log.warn({ err: message }, 'redis error'))
  fastify.decorate('redis', client)
  fastify.addHook('onClose', async () => { client.destroy() })
}, { name: 'kefu-auth-redis' })
