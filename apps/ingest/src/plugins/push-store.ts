import fp from 'fastify-plugin'
import { pgPoolOf } from '@kefu/db'
import { Announcer } from '../lib/announcer.js'
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
  /** A further batch starts once those in flight have run this long (ms); defaults to 5. */
  writeOverlapMs?: number
  /** Longest a push waits for its row to commit. */
  writeTimeoutMs: number
  /** Stored rows are announced together within this many milliseconds (default 5). */
  announceDelayMs?: number
}

export default fp<PushStoreOptions>(async function pushStore (fastify, opts) {
  // Up to two batches in flight, the second only once the first has run 5 ms: while statements commit promptly, the
  // pushes that arrive meanwhile gather into the next one (half the statements per push of starting it at once, and
  // as much less PostgreSQL CPU per push); a statement that stalls holds the others up for 5 ms at most. More
  // connections would mean smaller batches and more per-statement overhead; the pool's others serve everything else.
  const concurrency = Math.min(fastify.dbConcurrency, opts.writeConcurrency ?? 2)
  const pool = pgPoolOf(fastify.prisma)
  if (pool === undefined) throw new Error('ingest needs a Prisma client made by @kefu/db (createPrismaClient or openDatabase)')
  const batchSize = fastify.metrics.histogram('kefu_ingest_commit_batch_size', 'Rows per group-commit statement', [], [1, 2, 5, 10, 20, 50, 100, 200, 500])
  const commitSeconds = fastify.metrics.histogram('kefu_ingest_commit_duration_seconds', 'Group-commit statements: time from sending to committed', [], [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 3])
  const writer = new MessageWriter(pool, {
    concurrency,
    overlapAfterMs: opts.writeOverlapMs,
    timeoutMs: opts.writeTimeoutMs,
    onCommit: (rows, seconds) => {
      batchSize.observe({}, rows)
      commitSeconds.observe({}, seconds)
    },
    onStored: (rows) => { announcer.add(rows) }
  })
  const announcer = new Announcer((rows) => {
    fastify.bus.publish(MESSAGES_CHANNEL, JSON.stringify({ messages: rows })).catch((err: Error) => {
      fastify.log.warn({ err: err.message }, 'stored messages not announced; consoles catch up on their next fetch')
    })
  }, opts.announceDelayMs ?? 5)
  fastify.decorate('messageWriter', writer)
  // The writer's connections are opened and its statement prepared before the first push, not by it.
  fastify.addHook('onReady', async () => {
    await writer.warmUp().catch((err: Error) => { fastify.log.warn({ err: err.message }, 'database not reachable at start; pushes answer 503 until it is') })
  })
  // Announced before the bus closes; rows whose commit ends later are left to the consoles' next fetch.
  fastify.addHook('preClose', async () => { announcer.flush() })
  fastify.addHook('onClose', async () => {
    writer.close()
    announcer.flush()
  })
  fastify.decorate('nonceStore', fastify.redis === null
    ? createMemoryNonceStore(opts.nonceTtlMs, opts.now)
    : createRedisNonceStore(fastify.redis, opts.redisPrefix + 'nonce:', opts.nonceTtlMs))
}, { name: 'kefu-ingest-push-store', dependencies: ['kefu-database', 'kefu-redis', 'kefu-bus', 'kefu-metrics'] })
