import type { FastifyInstance } from 'fastify'
import { healthRoutes, installErrorHandler, metricsPlugin, redirectToPublicUrl, redisPlugin, sameOriginGuard } from '@kefu/service'
import { openSessionStore, ssoClient } from '@kefu/sso-client'
import type { SyncOptions } from './options.js'
import pageRoutes from './routes/page.js'

export default async function syncApp (fastify: FastifyInstance, opts: SyncOptions): Promise<void> {
  installErrorHandler(fastify, 'KEFU_SYNC')
  // First of all hooks: a state-changing request from any page but this site's own changes nothing.
  sameOriginGuard(fastify, { origin: opts.publicUrl, code: 'KEFU_SYNC_CROSS_SITE' })
  await fastify.register(metricsPlugin, { metrics: opts.metrics })
  redirectToPublicUrl(fastify, opts.publicUrl)
  await fastify.register(redisPlugin, opts)
  const store = await openSessionStore(fastify, (opts.redisPrefix ?? `kefu:sync:${opts.clientId}:`) + 'session:')
  await fastify.register(ssoClient, {
    authUrl: opts.authUrl,
    authInternalUrl: opts.authInternalUrl,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    publicUrl: opts.publicUrl,
    checkIntervalMs: opts.checkIntervalMs,
    silentCheckIntervalS: opts.silentCheckIntervalS,
    warnBeforeS: opts.warnBeforeS,
    statusPollMs: opts.statusPollMs,
    now: opts.now,
    fetch: opts.fetch,
    session: {
      store,
      secret: opts.session.secret,
      cookieName: opts.session.cookieName ?? 'kefu_sync',
      idleTimeoutS: opts.session.idleTimeoutS,
      absoluteTimeoutS: opts.session.absoluteTimeoutS,
      secure: opts.session.secure,
      clock: opts.now
    }
  })
  // Ready when its store answers: Redis (sessions) when it has one; the in-process store always does.
  const redis = fastify.redis
  await fastify.register(healthRoutes, {
    ready: async () => { if (redis !== null) await redis.ping() },
    dependency: 'Redis',
    favicon: true
  })
  await fastify.register(pageRoutes)
}

export type { SyncOptions, SyncSessionOptions } from './options.js'
export { appOptions, loadConfig, serverOptions, type SyncConfig } from './config.js'
