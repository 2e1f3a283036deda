import fp from 'fastify-plugin'
import { createClient, type RedisClientType } from 'redis'

export type RedisClient = RedisClientType<any, any, any, any, any>

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
  // Commands fail at once while Redis is away (no offline queue), so requests answer 503 instead of hanging;
  // the client reconnects by itself.
  const client: RedisClient = createClient({
    url: opts.redisUrl,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) }
  })
  let lastError = ''
  client.on('error', (err: Error) => {
    if (err.message !== lastError) fastify.log.warn({ err: err.message }, 'redis error')
    lastError = err.message
  })
  client.on('ready', () => { lastError = '' })
  await client.connect()
  fastify.decorate('redis', client)
  fastify.addHook('onClose', async () => { client.destroy() })
}, { name: 'kefu-auth-redis' })
