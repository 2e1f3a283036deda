import fp from 'fastify-plugin'
import { createMemoryBus, createRedisBus, type EventBus } from '@kefu/service'

declare module 'fastify' {
  interface FastifyInstance {
    bus: EventBus
  }
}

export interface BusPluginOptions {
  /** Shared with other apps in one process (embedded mode). */
  bus?: EventBus
  redisUrl?: string
}

/** Where stored messages are announced: Redis pub/sub with REDIS_URL, else in-process. */
export default fp<BusPluginOptions>(async function bus (fastify, opts) {
  if (opts.bus !== undefined) {
    fastify.decorate('bus', opts.bus)
    return
  }
  const bus = opts.redisUrl !== undefined
    ? await createRedisBus(opts.redisUrl, (message) => fastify.log.warn({ err: message }, 'redis bus error'))
    : createMemoryBus()
  fastify.decorate('bus', bus)
  fastify.addHook('onClose', async () => { await bus.close() })
}, { name: 'kefu-ingest-bus' })
