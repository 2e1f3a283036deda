import fp from 'fastify-plugin'
import { MessageWriter } from '../lib/message-writer.js'
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
}

export default fp<PushStoreOptions>(async function pushStore (fastify, opts) {
  fastify.decorate('messageWriter', new MessageWriter(fastify.prisma, { concurrency: fastify.dbConcurrency }))
  fastify.decorate('nonceStore', fastify.redis === null
    ? createMemoryNonceStore(opts.nonceTtlMs, opts.now)
    : createRedisNonceStore(fastify.redis, opts.redisPrefix + 'nonce:', opts.nonceTtlMs))
}, { name: 'kefu-ingest-push-store', dependencies: ['kefu-ingest-database', 'kefu-ingest-redis'] })
