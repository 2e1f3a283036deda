import type { FastifyServerOptions } from 'fastify'
import { readWechatComponent, type WechatComponentConfig } from '@kefu/mini-programs'
import {
  readDatabase, readHttpUrl, readInt, readListener, readRedisUrl, readWechatApps, type DatabaseConfig, type Env, type RedisTarget, type ListenerConfig, type WechatAppConfig
} from '@kefu/service'
import { readSecretKeys, type SecretKey } from '@kefu/secrets'
import type { IngestOptions } from './options.js'

/** PORT 3000, METRICS_PORT 9464. */
export interface IngestConfig extends ListenerConfig, DatabaseConfig {
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  apps: WechatAppConfig[]
  /** KEFU_SECRET_KEY: made for this start in embedded mode (no DATABASE_URL), required otherwise. */
  secretKeys: SecretKey[]
  secretKeyGenerated: boolean
  timestampWindowS: number
  /** WECHAT_COMPONENT / WECHAT_COMPONENT_FILE: third-party platform mode, off when unset. */
  component?: WechatComponentConfig
  /** WECHAT_API_BASE: ingest calls WeChat's API in third-party platform mode (api_query_auth, authorizer info). */
  wechatApiBase: string
}

export function loadConfig (env: Env): IngestConfig {
  const database = readDatabase(env)
  const secretKeys = readSecretKeys(env, { generateMissing: database.databaseUrl === undefined })
  return {
    ...readListener(env, { port: 3000, metricsPort: 9464 }),
    ...database,
    redisUrl: readRedisUrl(env),
    apps: readWechatApps(env),
    secretKeys: secretKeys.keys,
    secretKeyGenerated: secretKeys.generated,
    timestampWindowS: readInt(env, 'WECHAT_TIMESTAMP_WINDOW_S', 300, { min: 1, max: 86400 }),
    component: readWechatComponent(env),
    wechatApiBase: readHttpUrl(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com')
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start ingest this way). */
export function appOptions (config: IngestConfig): IngestOptions {
  return {
    apps: config.apps,
    secretKeys: config.secretKeys,
    databaseUrl: config.databaseUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    timestampWindowS: config.timestampWindowS,
    component: config.component,
    wechatApiBase: config.wechatApiBase
  }
}

/** Fastify's own options for ingest: pushes up to 1 MiB (WeChat's are far smaller; 413 beyond). */
export function serverOptions (_config: IngestConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 1024 * 1024 }
}
