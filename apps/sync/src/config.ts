import type { FastifyServerOptions } from 'fastify'
import { readInt, readLogLevel, readMetricsListener, readPort, readRedisUrl, readString, readTrustProxy, trustProxyOption, type Env, type MetricsListenerConfig, type RedisTarget, type TrustProxy } from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import { readSsoClientConfig } from '@kefu/sso-client'
import type { SyncOptions } from './options.js'

export interface SyncConfig {
  port: number
  host: string
  /** METRICS_HOST, METRICS_PORT (default 9466), METRICS_TOKEN: where /metrics is served, never on PORT. */
  metrics: MetricsListenerConfig
  logLevel: string
  /** TRUST_PROXY: the proxies in front of this site (hop count or addresses), so that cookies become Secure (__Host-) behind TLS. */
  trustProxy: TrustProxy
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  publicUrl: string
  authUrl: string
  authInternalUrl: string
  clientId: string
  clientSecret: string
  session: { secret: string, secretGenerated: boolean, idleTimeoutS: number, absoluteTimeoutS: number }
  /** SESSION_WARN_BEFORE_S: how long before an idle sign-out pages warn. */
  warnBeforeS: number
}

export function loadConfig (env: Env): SyncConfig {
  const port = readPort(env, 3002)
  const redisUrl = readRedisUrl(env)
  const sso = readSsoClientConfig(env, { port, clientId: 'sync' })
  const session = readSessionConfig(env, { generateMissingSecret: redisUrl === undefined })
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    metrics: readMetricsListener(env, { port: 9466, publicPort: port }),
    logLevel: readLogLevel(env),
    trustProxy: readTrustProxy(env),
    redisUrl,
    ...sso,
    session: { secret: session.secret, secretGenerated: session.secretGenerated, idleTimeoutS: session.idleTimeoutS, absoluteTimeoutS: session.absoluteTimeoutS },
    warnBeforeS: readInt(env, 'SESSION_WARN_BEFORE_S', 120, { min: 0, max: 86_400 })
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start sync this way). */
export function appOptions (config: SyncConfig): SyncOptions {
  return {
    publicUrl: config.publicUrl,
    authUrl: config.authUrl,
    authInternalUrl: config.authInternalUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    session: { secret: config.session.secret, idleTimeoutS: config.session.idleTimeoutS, absoluteTimeoutS: config.session.absoluteTimeoutS },
    warnBeforeS: config.warnBeforeS,
    redisUrl: config.redisUrl
  }
}

/** Fastify's own options for sync: small bodies (back-channel logouts); the protocol and client IP as TRUST_PROXY says. */
export function serverOptions (config: SyncConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 64 * 1024, trustProxy: trustProxyOption(config.trustProxy) }
}
