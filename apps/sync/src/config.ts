import { readLogLevel, readPort, readRedisUrl, readString, readTrustProxy, type Env } from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import { readSsoClientConfig } from '@kefu/sso-client'

export interface SyncConfig {
  port: number
  host: string
  logLevel: string
  /** TRUST_PROXY: behind a TLS-terminating proxy, true or a hop count, so that cookies become Secure (__Host-). */
  trustProxy: boolean | number
  redisUrl?: string
  publicUrl: string
  authUrl: string
  authInternalUrl: string
  clientId: string
  clientSecret: string
  session: { secret: string, secretGenerated: boolean, idleTimeoutS: number, absoluteTimeoutS: number }
}

export function loadConfig (env: Env): SyncConfig {
  const port = readPort(env, 3002)
  const redisUrl = readRedisUrl(env)
  const sso = readSsoClientConfig(env, { port, clientId: 'sync' })
  const session = readSessionConfig(env, { generateMissingSecret: redisUrl === undefined })
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    logLevel: readLogLevel(env),
    trustProxy: readTrustProxy(env),
    redisUrl,
    ...sso,
    session: { secret: session.secret, secretGenerated: session.secretGenerated, idleTimeoutS: session.idleTimeoutS, absoluteTimeoutS: session.absoluteTimeoutS }
  }
}
