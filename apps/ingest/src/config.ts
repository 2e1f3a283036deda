import type { FastifyServerOptions } from 'fastify'
import {
  readDatabase, readInt, readListener, readRedisUrl, readWechatApps, type DatabaseConfig, type Env, type ListenerConfig, type WechatAppConfig
} from '@kefu/service'
import type { IngestOptions } from './options.js'

/** PORT 3000, METRICS_PORT 9464. */
export interface IngestConfig extends ListenerConfig, DatabaseConfig {
  redisUrl?: string
  apps: WechatAppConfig[]
  timestampWindowS: number
}

export function loadConfig (env: Env): IngestConfig {
  return {
    ...readListener(env, { port: 3000, metricsPort: 9464 }),
    ...readDatabase(env),
    redisUrl: readRedisUrl(env),
    apps: readWechatApps(env),
    timestampWindowS: readInt(env, 'WECHAT_TIMESTAMP_WINDOW_S', 300, { min: 1, max: 86400 })
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start ingest this way). */
export function appOptions (config: IngestConfig): IngestOptions {
  return {
    apps: config.apps,
    databaseUrl: config.databaseUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    timestampWindowS: config.timestampWindowS
  }
}

/** Fastify's own options for ingest: pushes up to 1 MiB (WeChat's are far smaller; 413 beyond). */
export function serverOptions (_config: IngestConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 1024 * 1024 }
}
