import {
  ConfigError, readHttpUrl, readLogLevel, readOptional, readOrigin, readPort, readRedisUrl, readString, readTrustProxy, type Env
} from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import { CLIENT_ID_RE, MIN_CLIENT_SECRET_LENGTH } from '@kefu/sso-client'

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
  const publicUrl = readOrigin(env, 'PUBLIC_URL', `http://127.0.0.1:${port}`)
  const authUrl = readOrigin(env, 'AUTH_URL', 'http://127.0.0.1:3001')
  if (authUrl === publicUrl) throw new ConfigError(`AUTH_URL and PUBLIC_URL are both ${publicUrl}: the B site needs its own origin`)
  const clientId = readString(env, 'CLIENT_ID', 'sync')
  if (!CLIENT_ID_RE.test(clientId)) throw new ConfigError(`CLIENT_ID must be 1 to 64 letters, digits, '.', '_' or '-', got "${clientId}"`)
  const clientSecret = readOptional(env, 'CLIENT_SECRET')
  if (clientSecret === undefined) throw new ConfigError(`CLIENT_SECRET is required: the clientSecret of ${clientId} in the A site's SSO_CLIENTS`)
  if (clientSecret.length < MIN_CLIENT_SECRET_LENGTH) throw new ConfigError(`CLIENT_SECRET must be at least ${MIN_CLIENT_SECRET_LENGTH} characters, got ${clientSecret.length}`)
  const session = readSessionConfig(env, { generateMissingSecret: redisUrl === undefined })
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    logLevel: readLogLevel(env),
    trustProxy: readTrustProxy(env),
    redisUrl,
    publicUrl,
    authUrl,
    authInternalUrl: readHttpUrl(env, 'AUTH_INTERNAL_URL', authUrl),
    clientId,
    clientSecret,
    session: { secret: session.secret, secretGenerated: session.secretGenerated, idleTimeoutS: session.idleTimeoutS, absoluteTimeoutS: session.absoluteTimeoutS }
  }
}
