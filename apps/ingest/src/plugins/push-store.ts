import fp from 'fastify-plugin'
import { MessageWriter } from '../lib/message-writer.js'

/** Channel of the announcements `{"messages":[{"id","appId","openid"}]}` that live consoles follow. */
export const MESSAGES_CHANNEL = 'kefu:messages'
import { createMemoryNonceStore, createRedisNonceStore, type NonceStore } from '../lib/nonce-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    messageWriter: MessageWriter
    nonceStore: NonceStore
  }
}

export interface PushStoreOptions {
  /** How long a used nonce is remembered: twice the timestamp window covers every timestamp still accepted. */
  nonceTtlMs: number
  redisPrefix: string
  now: () => number
  /** Batches written at once; fewer make bigger batches (group commit). Defaults to 2. */
  writeConcurrency?: number
}

export default fp<PushStoreOptions>(async function pushStore (fastify, opts) {
  // Two batches in flight: one commits while the next one fills. More connections mean smaller batches and more
  // per-statement overhead; the pool's other connections serve everything else.
  const concurrency = Math.min(fastify.dbConcurrency, opts.writeConcurrency ?? 2)
  fastify.decorate('messageWriter', new MessageWriter(fastify.prisma, {
    concurrency,
    onStored: (rows) => {
      fastify.bus.publish(MESSAGES_CHANNEL, JSON.stringify({ messages: rows })).catch((err: Error) => {
        fastify.log.warn({ err: err.message }, 'stored messages not announced; consoles catch up on their next fetch')
      })
    }
  }))
  fastify.decorate('nonceStore', fastify.redis === null
    ? createMemoryNonceStore(opts.nonceTtlMs, opts.now)
    : createRedisNonceStore(fastify.redis, opts.redisPrefix + 'nonce:', opts.nonceTtlMs))
}, { name: 'kefu-ingest-push-store', dependencies: ['kefu-database', 'kefu-redis', 'kefu-bus'] })
