import {
  ConfigError, readDatabaseUrl, readHttpUrl, readInt, readLogLevel, readOptional, readOrigin, readPort, readRedisUrl,
  readString, readTrustProxy, readWechatApps, type Env, type WechatAppConfig
} from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import { CLIENT_ID_RE, MIN_CLIENT_SECRET_LENGTH } from '@kefu/sso-client'

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
  const publicUrl = readOrigin(env, 'PUBLIC_URL', `http://127.0.0.1:${port}`)
  const authUrl = readOrigin(env, 'AUTH_URL', 'http://127.0.0.1:3001')
  if (authUrl === publicUrl) throw new ConfigError(`AUTH_URL and PUBLIC_URL are both ${publicUrl}: the console needs its own origin`)
  const clientId = readString(env, 'CLIENT_ID', 'console')
  if (!CLIENT_ID_RE.test(clientId)) throw new ConfigError(`CLIENT_ID must be 1 to 64 letters, digits, '.', '_' or '-', got "${clientId}"`)
  const clientSecret = readOptional(env, 'CLIENT_SECRET')
  if (clientSecret === undefined) throw new ConfigError(`CLIENT_SECRET is required: the clientSecret of ${clientId} in the A site's SSO_CLIENTS`)
  if (clientSecret.length < MIN_CLIENT_SECRET_LENGTH) throw new ConfigError(`CLIENT_SECRET must be at least ${MIN_CLIENT_SECRET_LENGTH} characters, got ${clientSecret.length}`)
  const session = readSessionConfig(env, { generateMissingSecret: redisUrl === undefined })
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    logLevel: readLogLevel(env),
    databaseUrl: readDatabaseUrl(env),
    redisUrl,
    poolMax: readInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    publicUrl,
    authUrl,
    authInternalUrl: readHttpUrl(env, 'AUTH_INTERNAL_URL', authUrl),
    clientId,
    clientSecret,
    session: { secret: session.secret, secretGenerated: session.secretGenerated, idleTimeoutS: session.idleTimeoutS, absoluteTimeoutS: session.absoluteTimeoutS },
    apps: readWechatApps(env),
    wechatApiBase: readHttpUrl(env, 'WECHAT_API_BASE', 'https://api.weixin.qq.com'),
    repliesPerMinute: readInt(env, 'CONSOLE_REPLIES_PER_MINUTE', 30, { min: 1, max: 10_000 }),
    trustProxy: readTrustProxy(env)
  }
}
