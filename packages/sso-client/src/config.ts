import { ConfigError, readHttpUrl, readInt, readOptional, readOrigin, readString, refusePlaceholder, type Env, type RedisTarget } from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import { CLIENT_ID_RE, MIN_CLIENT_SECRET_LENGTH } from './protocol.js'

/** What every B site reads from its environment to take part in the sync login. */
export interface SsoClientConfig {
  /** PUBLIC_URL: this site's origin as browsers see it. */
  publicUrl: string
  /** AUTH_URL: A's origin as browsers see it. */
  authUrl: string
  /** AUTH_INTERNAL_URL: A's base URL for server-to-server calls (default AUTH_URL). */
  authInternalUrl: string
  clientId: string
  clientSecret: string
}

/** Reads PUBLIC_URL, AUTH_URL, AUTH_INTERNAL_URL, CLIENT_ID and CLIENT_SECRET; one line naming the variable on error. */
export function readSsoClientConfig (env: Env, defaults: { port: number, clientId: string }): SsoClientConfig {
  const publicUrl = readOrigin(env, 'PUBLIC_URL', `http://127.0.0.1:${defaults.port}`)
  const authUrl = readOrigin(env, 'AUTH_URL', 'http://127.0.0.1:3001')
  if (authUrl === publicUrl) throw new ConfigError(`AUTH_URL and PUBLIC_URL are both ${publicUrl}: a B site needs its own origin`)
  const clientId = readString(env, 'CLIENT_ID', defaults.clientId)
  if (!CLIENT_ID_RE.test(clientId)) throw new ConfigError(`CLIENT_ID must be 1 to 64 letters, digits, '.', '_' or '-', got "${clientId}"`)
  const clientSecret = readOptional(env, 'CLIENT_SECRET')
  if (clientSecret === undefined) throw new ConfigError(`CLIENT_SECRET is required: the clientSecret of ${clientId} in the A site's SSO_CLIENTS`)
  refusePlaceholder('CLIENT_SECRET', clientSecret)
  if (clientSecret.length < MIN_CLIENT_SECRET_LENGTH) throw new ConfigError(`CLIENT_SECRET must be at least ${MIN_CLIENT_SECRET_LENGTH} characters, got ${clientSecret.length}`)
  return { publicUrl, authUrl, authInternalUrl: readHttpUrl(env, 'AUTH_INTERNAL_URL', authUrl), clientId, clientSecret }
}

/** A B site's whole share of the sync login: the settings above, its sessions, and when its pages warn. */
export interface BSiteConfig extends SsoClientConfig {
  /** SESSION_SECRET (generated when missing and the sessions stay in this process), SESSION_*_TIMEOUT_S. */
  session: { secret: string, secretGenerated: boolean, idleTimeoutS: number, absoluteTimeoutS: number }
  /** SESSION_WARN_BEFORE_S: how long before an idle sign-out pages warn. */
  warnBeforeS: number
}

/** readSsoClientConfig, then the sessions (readSessionConfig) and SESSION_WARN_BEFORE_S. */
export function readBSiteConfig (env: Env, defaults: { port: number, clientId: string, redisUrl: RedisTarget | undefined }): BSiteConfig {
  const sso = readSsoClientConfig(env, defaults)
  // Without Redis every session lives in this one process, so a per-start secret loses nothing.
  const { secret, secretGenerated, idleTimeoutS, absoluteTimeoutS } = readSessionConfig(env, { generateMissingSecret: defaults.redisUrl === undefined })
  return { ...sso, session: { secret, secretGenerated, idleTimeoutS, absoluteTimeoutS }, warnBeforeS: readInt(env, 'SESSION_WARN_BEFORE_S', 120, { min: 0, max: 86_400 }) }
}

/** The options of a B site's app that its configuration gives (each app's appOptions spreads them). */
export function bSiteOptions (config: BSiteConfig): SsoClientConfig & { session: { secret: string, idleTimeoutS: number, absoluteTimeoutS: number }, warnBeforeS: number } {
  return {
    publicUrl: config.publicUrl,
    authUrl: config.authUrl,
    authInternalUrl: config.authInternalUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    session: { secret: config.session.secret, idleTimeoutS: config.session.idleTimeoutS, absoluteTimeoutS: config.session.absoluteTimeoutS },
    warnBeforeS: config.warnBeforeS
  }
}
