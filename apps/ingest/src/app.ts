import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { databasePlugin, type PrismaClient } from '@kefu/db'
import { busPlugin, healthRoutes, installErrorHandler, metricsPlugin, redisPlugin, type EventBus, type Metrics, type RedisClient } from '@kefu/service'
import pushStore from './plugins/push-store.js'
import wechatRoutes from './routes/wechat.js'
import type { WechatAppConfig } from '@kefu/service'

export interface IngestOptions {
  apps: WechatAppConfig[]
  /** Share a client (the all-in-one launcher); otherwise the app opens DATABASE_URL or the embedded database. */
  prisma?: PrismaClient
  prismaConcurrency?: number
  databaseUrl?: string
  dataDir?: string
  poolMax?: number
  redis?: RedisClient
  redisUrl?: string
  redisPrefix?: string
  /** Where stored messages are announced; defaults to Redis pub/sub with redisUrl, else in-process. */
  bus?: EventBus
  /** ± seconds a push's timestamp may differ from our clock. */
  timestampWindowS?: number
  writeTimeoutMs?: number
  /** Batches written at once (group commit); defaults to 2 (at most the pool size). */
  writeConcurrency?: number
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number
  docs?: boolean
  /**
   * The service's metrics, served by the caller on a listener of their own (runService, pnpm start); default a fresh
   * registry. `createMetrics(false)` leaves the counters and their hooks out (the benchmark measures without).
   */
  metrics?: Metrics
}

export default async function ingestApp (fastify: FastifyInstance, opts: IngestOptions): Promise<void> {
  const now = opts.now ?? Date.now
  const timestampWindowS = opts.timestampWindowS ?? 300
  installErrorHandler(fastify, 'KEFU_INGEST')
  await fastify.register(metricsPlugin, { metrics: opts.metrics })

  if (opts.docs !== false) {
    await fastify.register(swagger, {
      openapi: { info: { title: 'kefu ingest', description: 'WeChat customer-service push receiver', version: '0.1.0' } }
    })
    await fastify.register(swaggerUi, { routePrefix: '/docs' })
  }
  await fastify.register(databasePlugin, {
    prisma: opts.prisma,
    prismaConcurrency: opts.prismaConcurrency,
    databaseUrl: opts.databaseUrl,
    dataDir: opts.dataDir,
    poolMax: opts.poolMax
  })
  await fastify.register(redisPlugin, { redis: opts.redis, redisUrl: opts.redisUrl })
  await fastify.register(busPlugin, { bus: opts.bus, redisUrl: opts.redisUrl })
  await fastify.register(pushStore, { nonceTtlMs: 2 * timestampWindowS * 1000 + 60_000, redisPrefix: opts.redisPrefix ?? 'kefu:ingest:', now, writeConcurrency: opts.writeConcurrency, writeTimeoutMs: opts.writeTimeoutMs ?? 3000 })

  await fastify.register(healthRoutes, { ready: async () => { await fastify.prisma.$queryRawUnsafe('SELECT 1') } })
  await fastify.register(wechatRoutes, { apps: opts.apps, timestampWindowS, now })
}

export { parseWechatApps, readWechatApps, type WechatAppConfig } from '@kefu/service'
export { MESSAGES_CHANNEL } from './plugins/push-store.js'
export { appOptions, loadConfig, serverOptions, type IngestConfig } from './config.js'
