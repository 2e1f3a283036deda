import fp from 'fastify-plugin'
import { createMemoryBus, createRedisBus, type EventBus } from './bus.js'
import { createRedisClient, type RedisClient, type RedisTarget } from './redis.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** null without REDIS_URL: state then lives in this process (single-instance, embedded mode). */
    redis: RedisClient | null
    bus: EventBus
  }
}

export interface RedisPluginOptions {
  /** A client owned by the caller; not closed here. */
  redis?: RedisClient
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
}

/**
 * Decorates `fastify.redis`: the caller's client, one opened from redisUrl (one server or a cluster; closed with the
 * app), or null.
 */
export const redisPlugin = fp<RedisPluginOptions>(async function redis (fastify, opts) {
  if (opts.redis !== undefined || opts.redisUrl === undefined) {
    fastify.decorate<RedisClient | null>('redis', opts.redis ?? null)
    return
  }
  const client = await createRedisClient(opts.redisUrl, (message) => fastify.log.warn({ err: message }, 'redis error'))
  fastify.decorate<RedisClient | null>('redis', client)
  fastify.addHook('onClose', async () => { client.destroy() })
}, { name: 'kefu-redis' })

export interface BusPluginOptions {
  /** Shared with other apps in one process (embedded mode); not closed here. */
  bus?: EventBus
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
}

/** Decorates `fastify.bus`: Redis pub/sub with redisUrl (sharded on a cluster), else in-process (or the caller's bus). */
export const busPlugin = fp<BusPluginOptions>(async function bus (fastify, opts) {
  if (opts.bus !== undefined) {
    fastify.decorate('bus', opts.bus)
    return
  }
  const bus = opts.redisUrl !== undefined
    ? await createRedisBus(opts.redisUrl, (message) => fastify.log.warn({ err: message }, 'redis bus error'))
    : createMemoryBus()
  fastify.decorate('bus', bus)
  fastify.addHook('onClose', async () => { await bus.close() })
}, { name: 'kefu-bus' })
