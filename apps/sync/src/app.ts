import type { FastifyInstance } from 'fastify'
import { createMemoryStore, createRedisStore, instrumentStore } from '@kefu/session'
import { healthRoutes, installErrorHandler, metricsPlugin, redirectToPublicUrl, redisPlugin, sameOriginGuard, sessionStoreErrors, type Metrics, type RedisClient } from '@kefu/service'
import { ssoClient } from '@kefu/sso-client'
import pageRoutes from './routes/page.js'

export interface SyncSessionOptions {
  /** SESSION_SECRET (one or several for rotation), each ≥ 32 characters. */
  secret: string | string[]
  idleTimeoutS?: number
  absoluteTimeoutS?: number
  /** Default `kefu_sync`; give each B site on one host its own. */
  cookieName?: string
  secure?: 'auto' | boolean
}

export interface SyncOptions {
  /** This B site's origin as browsers see it (PUBLIC_URL), e.g. `http://127.0.0.1:3002`. */
  publicUrl: string
  /** A's origin as browsers see it (AUTH_URL). */
  authUrl: string
  /** A's base URL for server-to-server calls (AUTH_INTERNAL_URL); default `authUrl`. */
  authInternalUrl?: string
  clientId: string
  clientSecret: string
  session: SyncSessionOptions
  redis?: RedisClient
  /** With Redis, sessions are shared by every instance; without, they live in this process. */
  redisUrl?: string
  /** Key prefix in Redis, default `kefu:sync:<clientId>:`. */
  redisPrefix?: string
  /** How long A's word that a login is live is trusted (default 4000 ms). */
  checkIntervalMs?: number
  /** After a redirect check found nobody at A, how long before the next (default 60 s). */
  silentCheckIntervalS?: number
  /** Pages warn this long before an idle sign-out (SESSION_WARN_BEFORE_S, default 120). */
  warnBeforeS?: number
  /** How often pages ask when the sign-in ends (default 5000 ms). */
  statusPollMs?: number
  /** Milliseconds since the epoch; sessions and sync login use this one clock. */
  now?: () => number
  fetch?: typeof fetch
  /** The service's metrics, served by the caller on a listener of their own (runService, pnpm start); default a fresh registry. */
  metrics?: Metrics
}

export default async function syncApp (fastify: FastifyInstance, opts: SyncOptions): Promise<void> {
  installErrorHandler(fastify, 'KEFU_SYNC')
  // First of all hooks: a state-changing request from any page but this site's own changes nothing.
  sameOriginGuard(fastify, { origin: opts.publicUrl, code: 'KEFU_SYNC_CROSS_SITE' })
  await fastify.register(metricsPlugin, { metrics: opts.metrics })
  redirectToPublicUrl(fastify, opts.publicUrl)
  await fastify.register(redisPlugin, { redis: opts.redis, redisUrl: opts.redisUrl })
  const prefix = (opts.redisPrefix ?? `kefu:sync:${opts.clientId}:`) + 'session:'
  const plain = fastify.redis === null
    ? createMemoryStore({ prefix })
    : await createRedisStore({ client: fastify.redis, prefix })
  const store = instrumentStore(plain, sessionStoreErrors(fastify.metrics, plain.kind))
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
  await fastify.register(healthRoutes, { favicon: true })
  await fastify.register(pageRoutes)
}

export { appOptions, loadConfig, serverOptions, type SyncConfig } from './config.js'
