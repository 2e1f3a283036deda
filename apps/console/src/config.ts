import {
  readDatabaseUrl, readHttpUrl, readInt, readLogLevel, readPort, readRedisUrl, readString, readTrustProxy, readWechatApps,
  type Env, type WechatAppConfig
} from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import { readSsoClientConfig } from '@kefu/sso-client'

export interface ConsoleConfig {
  port: number
  host: string
  logLevel: string
  databaseUrl?: string
  redisUrl?: string
  poolMax: number
  publicUrl: string
  authUrl: string
  authInternalUrl: string
  clientId: string
  clientSecret: string
  session: { secret: string, secretGenerated: boolean, idleTimeoutS: number, absoluteTimeoutS: number }
  apps: WechatAppConfig[]
  wechatApiBase: string
  repliesPerMinute: number
  /** TRUST_PROXY: behind a TLS-terminating proxy, so that cookies become Secure (__Host-). */
  trustProxy: boolean | number
}

export function loadConfig (env: Env): ConsoleConfig {
  const port = readPort(env, 3003)
  const redisUrl = readRedisUrl(env)
  const sso = readSsoClientConfig(env, { port, clientId: 'console' })
  const session = readSessionConfig(env, { generateMissingSecret: redisUrl === undefined })
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    logLevel: readLogLevel(env),
    databaseUrl: readDatabaseUrl(env),
    redisUrl,
    poolMax: readInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    ...sso,
    session: { secret: session.secret, secretGenerated: session.secretGenerated, idleTimeoutS: session.idleTimeoutS, absoluteTimeoutS: session.absoluteTimeoutS },
    apps: readWechatApps(env),
    wechatApiBase: readHttpUrl(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com'),
    repliesPerMinute: readInt(env, 'CONSOLE_REPLIES_PER_MINUTE', 30, { min: 1, max: 10_000 }),
    trustProxy: readTrustProxy(env)
  }
}
