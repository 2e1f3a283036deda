import { ConfigError, refusePlaceholder } from '@kefu/service'
import { CLIENT_ID_RE, exactOrigin, MIN_CLIENT_SECRET_LENGTH } from '@kefu/sso-client'

/** One registered B site (an entry of SSO_CLIENTS). */
export interface SsoClient {
  clientId: string
  clientSecret: string
  /** Exact origins whose pages may ask for a ticket with credentials (same-site path). */
  origins: string[]
  /** Exact URLs the redirect check may return to (cross-site path). */
  redirectUris: string[]
  /** Where A posts the signed back-channel logout; without it, B learns of a logout on its next check. */
  logoutUri?: string
  /** Shown on A's account page. */
  name?: string
}

const FIELDS = new Set(['clientId', 'clientSecret', 'origins', 'redirectUris', 'logoutUri', 'name'])

function absoluteUrl (value: unknown, where: string): URL {
  if (typeof value !== 'string') throw new ConfigError(`${where} must be a string URL`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(`${where} "${value}" is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${where} "${value}" must be http:// or https://`)
  if (url.username !== '' || url.password !== '') throw new ConfigError(`${where} "${value}" must not carry a user or password`)
  if (url.hash !== '' || value.includes('#')) throw new ConfigError(`${where} "${value}" must not have a #fragment`)
  if (url.href !== value) throw new ConfigError(`${where} "${value}" must be written exactly as ${url.href} (it is compared byte for byte)`)
  return url
}

/**
 * Validates SSO_CLIENTS. Everything is compared exactly later (origins at the ticket endpoint, redirect URIs at
 * authorize), so each value must already be in the one canonical spelling a browser produces.
 */
export function parseSsoClients (value: unknown, source: string): SsoClient[] {
  if (!Array.isArray(value)) throw new ConfigError(`${source} must be a JSON array of clients`)
  const ids = new Set<string>()
  const secrets = new Set<string>()
  return value.map((raw, i): SsoClient => {
    const at = `${source}[${i}]`
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${at} must be an object`)
    const entry = raw as Record<string, unknown>
    for (const key of Object.keys(entry)) {
      if (!FIELDS.has(key)) throw new ConfigError(`${at} has an unknown field "${key}" (known: ${[...FIELDS].join(', ')})`)
    }
    const { clientId, clientSecret, origins, redirectUris, logoutUri, name } = entry
    if (typeof clientId !== 'string' || !CLIENT_ID_RE.test(clientId)) {
      throw new ConfigError(`${at}.clientId must be 1 to 64 letters, digits, '.', '_' or '-'`)
    }
    if (ids.has(clientId)) throw new ConfigError(`${at}.clientId ${clientId} is listed twice`)
    ids.add(clientId)
    if (typeof clientSecret !== 'string' || clientSecret.length < MIN_CLIENT_SECRET_LENGTH || clientSecret.length > 512) {
      throw new ConfigError(`${at}.clientSecret must be a string of ${MIN_CLIENT_SECRET_LENGTH} to 512 characters`)
    }
    refusePlaceholder(`${at}.clientSecret`, clientSecret)
    if (secrets.has(clientSecret)) throw new ConfigError(`${at}.clientSecret is the same as another client's: give each client its own`)
    secrets.add(clientSecret)
    if (!Array.isArray(origins) || origins.length === 0) throw new ConfigError(`${at}.origins must be a non-empty array of origins like "https://b.example"`)
    const originList = origins.map((o, j) => {
      if (typeof o !== 'string' || exactOrigin(o) === null) {
        throw new ConfigError(`${at}.origins[${j}] ${JSON.stringify(o)} must be an exact origin: scheme://host[:port], no path, no trailing slash, no wildcard`)
      }
      return o
    })
    if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
      throw new ConfigError(`${at}.redirectUris must be a non-empty array of URLs like "https://b.example/sso/callback"`)
    }
    const redirectList = redirectUris.map((r, j) => {
      const url = absoluteUrl(r, `${at}.redirectUris[${j}]`)
      if (!originList.includes(url.origin)) throw new ConfigError(`${at}.redirectUris[${j}] "${r}" is not on one of the client's origins`)
      if (url.search !== '') throw new ConfigError(`${at}.redirectUris[${j}] "${r}" must not have a query`)
      return url.href
    })
    const client: SsoClient = { clientId, clientSecret, origins: originList, redirectUris: redirectList }
    if (logoutUri !== undefined) client.logoutUri = absoluteUrl(logoutUri, `${at}.logoutUri`).href
    if (name !== undefined) {
      if (typeof name !== 'string' || name.length === 0 || name.length > 100) throw new ConfigError(`${at}.name must be a string of 1 to 100 characters`)
      client.name = name
    }
    return client
  })
}
