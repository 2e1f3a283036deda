import type { FastifyServerOptions } from 'fastify'
import {
  readDatabaseUrl, readHttpUrl, readInt, readLogLevel, readMetricsListener, readPort, readRedisUrl, readString, readTrustProxy, readWechatApps,
  trustProxyOption, type Env, type MetricsListenerConfig, type RedisTarget, type TrustProxy, type WechatAppConfig
} from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import { readSsoClientConfig } from '@kefu/sso-client'
import type { ConsoleOptions } from './options.js'
import { readHistoryConfig, type HistoryConfig } from './history/index.js'

export interface ConsoleConfig {
  port: number
  host: string
  /** METRICS_HOST, METRICS_PORT (default 9467), METRICS_TOKEN: where /metrics is served, never on PORT. */
  metrics: MetricsListenerConfig
  logLevel: string
  databaseUrl?: string
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  poolMax: number
  publicUrl: string
  authUrl: string
  authInternalUrl: string
  clientId: string
  clientSecret: string
  session: { secret: string, secretGenerated: boolean, idleTimeoutS: number, absoluteTimeoutS: number }
  /** SESSION_WARN_BEFORE_S: how long before an idle sign-out pages warn. */
  warnBeforeS: number
  apps: WechatAppConfig[]
  wechatApiBase: string
  repliesPerMinute: number
  /** TRUST_PROXY: the proxies in front of the console (hop count or addresses), so that cookies become Secure (__Host-) behind TLS. */
  trustProxy: TrustProxy
  /** MEDIA_*, RETENTION_DAYS: kept media and how long history lasts. */
  history: HistoryConfig
}

export function loadConfig (env: Env): ConsoleConfig {
  const port = readPort(env, 3003)
  const redisUrl = readRedisUrl(env)
  const sso = readSsoClientConfig(env, { port, clientId: 'console' })
  const session = readSessionConfig(env, { generateMissingSecret: redisUrl === undefined })
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    metrics: readMetricsListener(env, { port: 9467, publicPort: port }),
    logLevel: readLogLevel(env),
    databaseUrl: readDatabaseUrl(env),
    redisUrl,
    poolMax: readInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    ...sso,
    session: { secret: session.secret, secretGenerated: session.secretGenerated, idleTimeoutS: session.idleTimeoutS, absoluteTimeoutS: session.absoluteTimeoutS },
    warnBeforeS: readInt(env, 'SESSION_WARN_BEFORE_S', 120, { min: 0, max: 86_400 }),
    apps: readWechatApps(env),
    wechatApiBase: readHttpUrl(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com'),
    repliesPerMinute: readInt(env, 'CONSOLE_REPLIES_PER_MINUTE', 30, { min: 1, max: 10_000 }),
    trustProxy: readTrustProxy(env),
    history: readHistoryConfig(env)
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start the console this way). */
export function appOptions (config: ConsoleConfig): ConsoleOptions {
  return {
    publicUrl: config.publicUrl,
    authUrl: config.authUrl,
    authInternalUrl: config.authInternalUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    session: { secret: config.session.secret, idleTimeoutS: config.session.idleTimeoutS, absoluteTimeoutS: config.session.absoluteTimeoutS },
    warnBeforeS: config.warnBeforeS,
    apps: config.apps,
    databaseUrl: config.databaseUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    wechatApiBase: config.wechatApiBase,
    repliesPerMinute: config.repliesPerMinute,
    history: config.history
  }
}

/** Fastify's own options for the console: JSON bodies up to 1 MiB (images are multipart, limited on their own); the protocol as TRUST_PROXY says. */
export function serverOptions (config: ConsoleConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 1024 * 1024, trustProxy: trustProxyOption(config.trustProxy) }
}
