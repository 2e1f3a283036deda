import type { FastifyServerOptions } from 'fastify'
import { readHistoryConfig, type HistoryConfig } from '@kefu/history'
import { readWechatComponent, type WechatComponentConfig } from '@kefu/mini-programs'
import { readSecretKeys, type SecretKey } from '@kefu/secrets'
import {
  readDatabase, readHttpUrl, readListener, readRedisUrl, type DatabaseConfig, type Env, type ListenerConfig, type RedisTarget
} from '@kefu/service'
import type { WorkerOptions } from './options.js'

/** PORT 3004 (/healthz, /readyz only), METRICS_PORT 9468. */
export interface WorkerConfig extends ListenerConfig, DatabaseConfig {
  /** REDIS_URL or REDIS_CLUSTER_URLS: the announcements it follows, the access tokens it shares with the consoles. */
  redisUrl?: RedisTarget
  /** KEFU_SECRET_KEY: the same keys as ingest's and the console's (media are fetched with the AppSecrets the table holds). */
  secretKeys: SecretKey[]
  secretKeyGenerated: boolean
  wechatApiBase: string
  /** MEDIA_*, RETENTION_DAYS: the console's settings of the same names must agree (it serves what this keeps). */
  history: HistoryConfig
  /** WECHAT_COMPONENT / WECHAT_COMPONENT_FILE: third-party platform mode, off when unset. */
  component?: WechatComponentConfig
}

export function loadConfig (env: Env): WorkerConfig {
  const listener = readListener(env, { port: 3004, metricsPort: 9468 })
  const database = readDatabase(env)
  const secretKeys = readSecretKeys(env, { generateMissing: database.databaseUrl === undefined })
  return {
    ...listener,
    ...database,
    redisUrl: readRedisUrl(env),
    secretKeys: secretKeys.keys,
    secretKeyGenerated: secretKeys.generated,
    wechatApiBase: readHttpUrl(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com'),
    history: readHistoryConfig(env),
    component: readWechatComponent(env)
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start the worker this way). */
export function appOptions (config: WorkerConfig): WorkerOptions {
  return {
    databaseUrl: config.databaseUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    secretKeys: config.secretKeys,
    wechatApiBase: config.wechatApiBase,
    history: config.history,
    ...(config.component === undefined ? {} : { component: config.component })
  }
}

/** No request bodies: only /healthz and /readyz. */
export function serverOptions (_config: WorkerConfig): Pick<FastifyServerOptions, 'bodyLimit'> {
  return { bodyLimit: 1024 }
}
