import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { databasePlugin } from '@kefu/db'
import { componentPushCrypto, miniProgramsPlugin } from '@kefu/mini-programs'
import { generateSecretKey } from '@kefu/secrets'
import { busPlugin, healthRoutes, installErrorHandler, metricsPlugin, redisPlugin } from '@kefu/service'
import { createReleaseCheck } from './lib/release-check.js'
import component from './plugins/component.js'
import pushStore from './plugins/push-store.js'
import componentRoutes from './routes/component.js'
import wechatRoutes from './routes/wechat.js'
import type { IngestOptions } from './options.js'

/** Without secretKeys (tests): refresh tokens and tickets sealed with a key of this process. */
const COMPONENT_PROCESS_KEY = generateSecretKey('component')

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
  const componentCrypto = opts.component === undefined ? undefined : componentPushCrypto(opts.component)
  await fastify.register(miniProgramsPlugin, { registry: opts.miniPrograms, configured: opts.apps, secretKeys: opts.secretKeys, reloadIntervalMs: opts.miniProgramsReloadMs, component: componentCrypto })
  await fastify.register(component, {
    config: opts.component,
    crypto: componentCrypto,
    secretKeys: opts.secretKeys ?? [COMPONENT_PROCESS_KEY],
    wechatApiBase: opts.wechatApiBase,
    tokenPrefix: opts.componentTokenPrefix ?? 'kefu:wechat-component:',
    fetch: opts.fetch,
    now
  })
  await fastify.register(pushStore, { nonceTtlMs: 2 * timestampWindowS * 1000 + 60_000, redisPrefix: opts.redisPrefix ?? 'kefu:ingest:', now, writeConcurrency: opts.writeConcurrency, writeOverlapMs: opts.writeOverlapMs, writeTimeoutMs: opts.writeTimeoutMs ?? 3000 })

  await fastify.register(healthRoutes, { ready: async () => { await fastify.prisma.$queryRawUnsafe('SELECT 1') } })
  const platform = fastify.component === null
    ? undefined
    : { crypto: fastify.component.crypto, releaseCheck: createReleaseCheck({ api: fastify.component.api, wechatApiBase: opts.wechatApiBase, fetch: opts.fetch, now, log: fastify.log }) }
  await fastify.register(wechatRoutes, { miniPrograms: fastify.miniPrograms, timestampWindowS, now, component: platform })
  if (fastify.component !== null) await fastify.register(componentRoutes, { component: fastify.component, miniPrograms: fastify.miniPrograms, timestampWindowS, now })
}

export type { IngestOptions } from './options.js'
export { parseWechatApps, readWechatApps, type WechatAppConfig } from '@kefu/service'
export { MESSAGES_CHANNEL } from './plugins/push-store.js'
export { MiniProgramRegistry, MINI_PROGRAMS_CHANNEL } from '@kefu/mini-programs'
export { appOptions, loadConfig, serverOptions, type IngestConfig } from './config.js'
