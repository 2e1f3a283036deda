import type { FastifyServerOptions } from 'fastify'
import {
  readDatabase, readHttpUrl, readInt, readListener, readRedisUrl, readTrustProxy, readWechatApps, trustProxyOption, type DatabaseConfig,
  type Env, type RedisTarget, type ListenerConfig, type TrustProxy, type WechatAppConfig
} from '@kefu/service'
import { bSiteOptions, readBSiteConfig, type BSiteConfig } from '@kefu/sso-client'
import { readComponentAuthorizeUrl, readWechatComponent, type WechatComponentConfig } from '@kefu/mini-programs'
import { readSecretKeys, type SecretKey } from '@kefu/secrets'
import type { ConsoleOptions } from './options.js'
import { readHistoryConfig, type HistoryConfig } from './history/index.js'

/** PORT 3003, METRICS_PORT 9467. */
export interface ConsoleConfig extends ListenerConfig, DatabaseConfig, BSiteConfig {
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  apps: WechatAppConfig[]
  wechatApiBase: string
  repliesPerMinute: number
  /** TRUST_PROXY: the proxies in front of the console (hop count or addresses), so that cookies become Secure (__Host-) behind TLS. */
  trustProxy: TrustProxy
  /** MEDIA_*, RETENTION_DAYS: kept media and how long history lasts. */
  history: HistoryConfig
  /** WECHAT_COMPONENT / WECHAT_COMPONENT_FILE: third-party platform mode, off when unset. */
  component?: WechatComponentConfig
  /** WECHAT_COMPONENT_AUTHORIZE_URL: WeChat's authorization page. */
  componentAuthorizeUrl: string
  /** KEFU_SECRET_KEY: seals the refresh tokens of authorizers (made for this start without DATABASE_URL or WECHAT_COMPONENT). */
  secretKeys: SecretKey[]
}

export function loadConfig (env: Env): ConsoleConfig {
  const listener = readListener(env, { port: 3003, metricsPort: 9467 })
  const redisUrl = readRedisUrl(env)
  const database = readDatabase(env)
  const component = readWechatComponent(env)
  return {
    ...listener,
    ...readBSiteConfig(env, { port: listener.port, clientId: 'console', redisUrl }),
    ...database,
    redisUrl,
    apps: readWechatApps(env),
    wechatApiBase: readHttpUrl(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com'),
    repliesPerMinute: readInt(env, 'CONSOLE_REPLIES_PER_MINUTE', 30, { min: 1, max: 10_000 }),
    trustProxy: readTrustProxy(env),
    history: readHistoryConfig(env),
    component,
    componentAuthorizeUrl: readComponentAuthorizeUrl(env),
    // Required only where it seals something lasting: refresh tokens in a real database, in third-party platform mode.
    secretKeys: readSecretKeys(env, { generateMissing: database.databaseUrl === undefined || component === undefined }).keys
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start the console this way). */
export function appOptions (config: ConsoleConfig): ConsoleOptions {
  return {
    ...bSiteOptions(config),
    apps: config.apps,
    databaseUrl: config.databaseUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    wechatApiBase: config.wechatApiBase,
    repliesPerMinute: config.repliesPerMinute,
    history: config.history,
    ...(config.component === undefined ? {} : { component: config.component, componentAuthorizeUrl: config.componentAuthorizeUrl, secretKeys: config.secretKeys })
  }
}

/** Fastify's own options for the console: JSON bodies up to 1 MiB (images are multipart, limited on their own); the protocol as TRUST_PROXY says. */
export function serverOptions (config: ConsoleConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 1024 * 1024, trustProxy: trustProxyOption(config.trustProxy) }
}
