import { readFileSync } from 'node:fs'
import {
  ConfigError, readDatabaseUrl, readInt, readJson, readLogLevel, readOptional, readPort, readRedisUrl, readString, type Env
} from '@kefu/service'
import { parseWechatApps, type WechatAppConfig } from './lib/wechat-apps.js'

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

export function readWechatApps (env: Env): WechatAppConfig[] {
  const inline = readJson(env, 'WECHAT_APPS')
  const file = readOptional(env, 'WECHAT_APPS_FILE')
  if (inline !== undefined && file !== undefined) throw new ConfigError('set WECHAT_APPS or WECHAT_APPS_FILE, not both')
  if (inline !== undefined) return parseWechatApps(inline, 'WECHAT_APPS')
  if (file === undefined) throw new ConfigError('WECHAT_APPS (a JSON array of mini programs) or WECHAT_APPS_FILE is required')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`WECHAT_APPS_FILE ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`WECHAT_APPS_FILE ${file} is not valid JSON: ${(err as Error).message}`)
  }
  return parseWechatApps(value, `WECHAT_APPS_FILE ${file}`)
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
