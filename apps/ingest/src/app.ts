import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { databasePlugin } from '@kefu/db'
import { busPlugin, healthRoutes, installErrorHandler, metricsPlugin, redisPlugin } from '@kefu/service'
import miniPrograms from './plugins/mini-programs.js'
import pushStore from './plugins/push-store.js'
import wechatRoutes from './routes/wechat.js'
import type { IngestOptions } from './options.js'

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
  await fastify.register(databasePlugin, opts)
  await fastify.register(redisPlugin, opts)
  await fastify.register(busPlugin, opts)
  await fastify.register(miniPrograms, { registry: opts.miniPrograms, configured: opts.apps, secretKeys: opts.secretKeys, reloadIntervalMs: opts.miniProgramsReloadMs })
  await fastify.register(pushStore, { nonceTtlMs: 2 * timestampWindowS * 1000 + 60_000, redisPrefix: opts.redisPrefix ?? 'kefu:ingest:', now, writeConcurrency: opts.writeConcurrency, writeTimeoutMs: opts.writeTimeoutMs ?? 3000 })

  await fastify.register(healthRoutes, { ready: async () => { await fastify.prisma.$queryRawUnsafe('SELECT 1') } })
  await fastify.register(wechatRoutes, { miniPrograms: fastify.miniPrograms, timestampWindowS, now })
}

export type { IngestOptions } from './options.js'
export { parseWechatApps, readWechatApps, type WechatAppConfig } from '@kefu/service'
export { MESSAGES_CHANNEL } from './plugins/push-store.js'
export { MiniProgramRegistry, MINI_PROGRAMS_CHANNEL } from '@kefu/mini-programs'
export { appOptions, loadConfig, serverOptions, type IngestConfig } from './config.js'
