import type { FastifyServerOptions } from 'fastify'
import {
  readDatabaseUrl, readInt, readLogLevel, readMetricsListener, readPort, readRedisUrl, readString, readWechatApps, type Env, type MetricsListenerConfig, type RedisTarget, type WechatAppConfig
} from '@kefu/service'
import type { IngestOptions } from './options.js'

export interface IngestConfig {
  port: number
  host: string
  /** METRICS_HOST, METRICS_PORT (default 9464), METRICS_TOKEN: where /metrics is served, never on PORT. */
  metrics: MetricsListenerConfig
  logLevel: string
  databaseUrl?: string
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  poolMax: number
  apps: WechatAppConfig[]
  timestampWindowS: number
}

export function loadConfig (env: Env): IngestConfig {
  const port = readPort(env, 3000)
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    metrics: readMetricsListener(env, { port: 9464, publicPort: port }),
    logLevel: readLogLevel(env),
    databaseUrl: readDatabaseUrl(env),
    redisUrl: readRedisUrl(env),
    poolMax: readInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
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
