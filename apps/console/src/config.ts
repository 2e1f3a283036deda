import type { FastifyServerOptions } from 'fastify'
import {
  readDatabase, readDatabaseReadUrl, readHttpUrl, readInt, readListener, readRedisUrl, readTrustProxy, trustProxyOption, type DatabaseConfig,
  type Env, type RedisTarget, type ListenerConfig, type TrustProxy
} from '@kefu/service'
import { readSecretKeys, type SecretKey } from '@kefu/secrets'
import { bSiteOptions, readBSiteConfig, type BSiteConfig } from '@kefu/sso-client'
import { readComponentAuthorizeUrl, readWechatComponent, type WechatComponentConfig } from '@kefu/mini-programs'
import type { ConsoleOptions } from './options.js'
import { readHistoryConfig, type HistoryConfig } from './history/index.js'

/** PORT 3003, METRICS_PORT 9467. */
export interface ConsoleConfig extends ListenerConfig, DatabaseConfig, BSiteConfig {
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  /** DATABASE_READ_URL: a read replica for search, reports and history browsing. */
  databaseReadUrl?: string
  /** KEFU_SECRET_KEY: the same keys as ingest's (the console opens the AppSecrets ingest's table holds, and seals authorizers' refresh tokens). */
  secretKeys: SecretKey[]
  secretKeyGenerated: boolean
  wechatApiBase: string
  /** INGEST_PUBLIC_URL: where WeChat reaches ingest; the Mini programs page shows `<it>/wechat/<appid>` to paste. */
  ingestUrl: string
  repliesPerMinute: number
  /** TRUST_PROXY: the proxies in front of the console (hop count or addresses), so that cookies become Secure (__Host-) behind TLS. */
  trustProxy: TrustProxy
  /** MEDIA_*, RETENTION_DAYS, read as the worker reads them; the console uses MEDIA_STORE's settings and MEDIA_MAX_BYTES. */
  history: HistoryConfig
  /** WECHAT_COMPONENT / WECHAT_COMPONENT_FILE: third-party platform mode, off when unset. */
  component?: WechatComponentConfig
  /** WECHAT_COMPONENT_AUTHORIZE_URL: WeChat's authorization page. */
  componentAuthorizeUrl: string
}

export function loadConfig (env: Env): ConsoleConfig {
  const listener = readListener(env, { port: 3003, metricsPort: 9467 })
  const redisUrl = readRedisUrl(env)
  const database = readDatabase(env)
  const secretKeys = readSecretKeys(env, { generateMissing: database.databaseUrl === undefined })
  const component = readWechatComponent(env)
  return {
    ...listener,
    ...readBSiteConfig(env, { port: listener.port, clientId: 'console', redisUrl }),
    ...database,
    databaseReadUrl: readDatabaseReadUrl(env),
    redisUrl,
    secretKeys: secretKeys.keys,
    secretKeyGenerated: secretKeys.generated,
    wechatApiBase: readHttpUrl(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com'),
    ingestUrl: readHttpUrl(env, 'INGEST_PUBLIC_URL', 'http://127.0.0.1:3000'),
    repliesPerMinute: readInt(env, 'CONSOLE_REPLIES_PER_MINUTE', 30, { min: 1, max: 10_000 }),
    trustProxy: readTrustProxy(env),
    history: readHistoryConfig(env),
    component,
    componentAuthorizeUrl: readComponentAuthorizeUrl(env)
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start the console this way). */
export function appOptions (config: ConsoleConfig): ConsoleOptions {
  return {
    ...bSiteOptions(config),
    secretKeys: config.secretKeys,
    databaseUrl: config.databaseUrl,
    databaseReadUrl: config.databaseReadUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    wechatApiBase: config.wechatApiBase,
    ingestUrl: config.ingestUrl,
    repliesPerMinute: config.repliesPerMinute,
    history: { store: config.history.store, maxBytes: config.history.maxBytes },
    ...(config.component === undefined ? {} : { component: config.component, componentAuthorizeUrl: config.componentAuthorizeUrl })
  }
}

/** Fastify's own options for the console: JSON bodies up to 1 MiB (images are multipart, limited on their own); the protocol as TRUST_PROXY says. */
export function serverOptions (config: ConsoleConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 1024 * 1024, trustProxy: trustProxyOption(config.trustProxy) }
}
