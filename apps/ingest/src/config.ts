import {
  readDatabaseUrl, readInt, readLogLevel, readPort, readRedisUrl, readString, readWechatApps, type Env, type WechatAppConfig
} from '@kefu/service'

export interface IngestConfig {
  port: number
  host: string
  logLevel: string
  databaseUrl?: string
  redisUrl?: string
  poolMax: number
  apps: WechatAppConfig[]
  timestampWindowS: number
}

export function loadConfig (env: Env): IngestConfig {
  return {
    port: readPort(env, 3000),
    host: readString(env, 'HOST', '127.0.0.1'),
    logLevel: readLogLevel(env),
    databaseUrl: readDatabaseUrl(env),
    redisUrl: readRedisUrl(env),
    poolMax: readInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    apps: readWechatApps(env),
    timestampWindowS: readInt(env, 'WECHAT_TIMESTAMP_WINDOW_S', 300, { min: 1, max: 86400 })
  }
}
