import { ConfigError, readHttpUrl, readOptional, readOrigin, readString, refusePlaceholder, type Env } from '@kefu/service'
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
