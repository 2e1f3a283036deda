import {
  ConfigError, readHttpUrl, readLogLevel, readOptional, readPort, readRedisUrl, readString, type Env
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

function readOrigin (env: Env, name: string, fallback: string): string {
  const value = readHttpUrl(env, name, fallback)
  if (new URL(value).origin !== value) throw new ConfigError(`${name} must be an origin like https://b.example (scheme, host, optional port; no path), got "${value}"`)
  return value
}

function readTrustProxy (env: Env): boolean | number {
  const raw = readOptional(env, 'TRUST_PROXY')
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  if (/^\d{1,2}$/.test(raw)) return Number(raw)
  throw new ConfigError(`TRUST_PROXY must be true, false or a number of proxy hops, got "${raw}"`)
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
