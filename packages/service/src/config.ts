import { readFileSync } from 'node:fs'
import { isAddressOrCidr, isLoopbackHost } from './ip.js'
import type { RedisTarget } from './redis.js'

/** A bad setting: the message is one line naming the variable and what is wrong with it. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export type Env = Record<string, string | undefined>

function present (env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

export function readString (env: Env, name: string, fallback?: string): string {
  const value = present(env, name) ?? fallback
  if (value === undefined) throw new ConfigError(`${name} is required`)
  return value
}

export function readOptional (env: Env, name: string): string | undefined {
  return present(env, name)
}

export function readInt (env: Env, name: string, fallback: number, range: { min?: number, max?: number } = {}): number {
  const raw = present(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`)
  const value = Number(raw)
  const min = range.min ?? 0
  const max = range.max ?? Number.MAX_SAFE_INTEGER
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${raw}`)
  return value
}

/**
 * DRAIN_MS: after SIGTERM, how long a service still serves while `/readyz` answers 503, so that a load balancer
 * checking every second or two takes it out before it closes. 0 closes at once (tests, development).
 */
export function readDrainMs (env: Env): number {
  return readInt(env, 'DRAIN_MS', 5000, { min: 0, max: 120_000 })
}

export function readPort (env: Env, fallback: number): number {
  return readInt(env, 'PORT', fallback, { min: 0, max: 65535 })
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
export function readLogLevel (env: Env): string {
  const level = present(env, 'LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`)
  return level
}

/** An http(s) URL, returned without a trailing slash (an origin or a base URL). */
export function readHttpUrl (env: Env, name: string, fallback?: string): string {
  const raw = present(env, name) ?? fallback
  if (raw === undefined) throw new ConfigError(`${name} is required (an http:// or https:// URL)`)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`)
  return raw.replace(/\/+$/, '')
}

const PLACEHOLDER = /^change-?me/i

/** True for the placeholders .env.example publishes ("change-me…", "changeMe…"): a value anyone can read is no secret. */
export function isPlaceholder (value: string): boolean {
  return PLACEHOLDER.test(value)
}

/** Stops the start when a secret (`name` says which) is still one of .env.example's placeholders. */
export function refusePlaceholder (name: string, value: string): void {
  if (isPlaceholder(value)) throw new ConfigError(`${name} is still the placeholder from .env.example: set a secret of your own`)
}

function refusePlaceholderPassword (name: string, url: string): void {
  let password = ''
  try { password = decodeURIComponent(new URL(url).password) } catch {}
  if (isPlaceholder(password)) throw new ConfigError(`${name} carries the placeholder password from .env.example: set a password of your own`)
}

/**
 * DATABASE_URL, with DATABASE_PASSWORD put in when that is set. A password inside a URL must be percent-encoded
 * (`@`, `/`, `:`, `%`… would end or garble it), which nobody does by hand and docker compose cannot do: so the password
 * may come on its own, exactly as typed, and is encoded here.
 */
export function readDatabaseUrl (env: Env): string | undefined {
  const raw = present(env, 'DATABASE_URL')
  if (raw === undefined) {
    if (databasePassword(env) !== undefined) throw new ConfigError('DATABASE_PASSWORD is set without DATABASE_URL: set DATABASE_URL too (without a password)')
    return undefined
  }
  return withPassword(env, 'DATABASE_URL', raw)
}

/**
 * DATABASE_READ_URL: a read replica (hot standby) of DATABASE_URL's database, where the console sends search, reports
 * and history browsing. DATABASE_PASSWORD goes into it as into DATABASE_URL (a standby has its primary's roles).
 */
export function readDatabaseReadUrl (env: Env): string | undefined {
  const raw = present(env, 'DATABASE_READ_URL')
  if (raw === undefined) return undefined
  if (present(env, 'DATABASE_URL') === undefined) throw new ConfigError('DATABASE_READ_URL is set without DATABASE_URL: a replica needs its primary (the embedded database has none)')
  return withPassword(env, 'DATABASE_READ_URL', raw)
}

/** Not trimmed: spaces may belong to a password. */
function databasePassword (env: Env): string | undefined {
  return env.DATABASE_PASSWORD === undefined || env.DATABASE_PASSWORD === '' ? undefined : env.DATABASE_PASSWORD
}

function withPassword (env: Env, name: string, raw: string): string {
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new ConfigError(`${name} must be a postgresql:// URL`)
  const password = databasePassword(env)
  if (password === undefined) {
    refusePlaceholderPassword(name, raw)
    return raw
  }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name} is not a valid URL`)
  }
  if (url.password !== '') throw new ConfigError(`${name} carries a password and DATABASE_PASSWORD is set: keep one of them`)
  refusePlaceholder('DATABASE_PASSWORD', password)
  url.password = encodeURIComponent(password)
  return url.toString()
}

/**
 * Where Redis is: REDIS_URL (one server, a redis:// or rediss:// URL) or REDIS_CLUSTER_URLS (a Redis Cluster: some of
 * its nodes, `redis://host:port,redis://host:port,…`; the client discovers the rest). Never both. Undefined without
 * either (in-process stores).
 */
export function readRedisUrl (env: Env): RedisTarget | undefined {
  const raw = present(env, 'REDIS_URL')
  const cluster = present(env, 'REDIS_CLUSTER_URLS')
  if (raw !== undefined && cluster !== undefined) throw new ConfigError('set REDIS_URL (one Redis server) or REDIS_CLUSTER_URLS (a Redis Cluster), not both')
  if (cluster !== undefined) return { cluster: readClusterUrls(cluster) }
  if (raw !== undefined && !/^rediss?:\/\//.test(raw)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL')
  if (raw !== undefined) refusePlaceholderPassword('REDIS_URL', raw)
  return raw
}

const CLUSTER_HELP = 'comma-separated redis:// or rediss:// URLs of cluster nodes, e.g. redis://10.0.0.1:6379,redis://10.0.0.2:6379'

function readClusterUrls (raw: string): string[] {
  const urls = raw.split(',').map((entry) => entry.trim())
  for (const entry of urls) {
    let url: URL | undefined
    try { url = new URL(entry) } catch {}
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
      throw new ConfigError(`REDIS_CLUSTER_URLS must be ${CLUSTER_HELP}; "${entry}" is not such a URL`)
    }
    if (url.pathname !== '' && url.pathname !== '/') throw new ConfigError(`REDIS_CLUSTER_URLS: "${entry}" names a database (${url.pathname}); a cluster has only database 0`)
    if (url.protocol !== new URL(urls[0] as string).protocol) throw new ConfigError('REDIS_CLUSTER_URLS mixes redis:// and rediss:// URLs: one cluster uses one of them')
    refusePlaceholderPassword('REDIS_CLUSTER_URLS', entry)
  }
  return urls
}

/** Parses a JSON setting, naming the variable when it is not JSON. */
export function readJson (env: Env, name: string): unknown {
  const raw = present(env, name)
  if (raw === undefined) return undefined
  try {
    return JSON.parse(raw)
  } catch (err) {
    throw new ConfigError(`${name} is not valid JSON: ${(err as Error).message}`)
  }
}

/** An origin (scheme, host, optional port; no path), as browsers compare them. */
export function readOrigin (env: Env, name: string, fallback?: string): string {
  const value = readHttpUrl(env, name, fallback)
  if (new URL(value).origin !== value) throw new ConfigError(`${name} must be an origin like https://b.example (scheme, host, optional port; no path), got "${value}"`)
  return value
}

export type TrustProxy = false | number | string[]

const TRUST_PROXY_HELP = 'the number of proxies in front of kefu (e.g. 1) or their addresses (e.g. 10.0.0.2,fd00::/8)'

/**
 * TRUST_PROXY: behind reverse proxies, which X-Forwarded-For / X-Forwarded-Proto to believe, so that request.ip is
 * the client's (per-IP limits) and request.protocol the one the browser used (Secure cookies). Either a hop count
 * (every request reaches kefu through exactly that many proxies) or a comma-separated list of the proxies'
 * addresses or CIDR blocks (IPv4 and IPv6). `true` would believe any client that sends the header, so it is refused.
 */
export function readTrustProxy (env: Env): TrustProxy {
  const raw = present(env, 'TRUST_PROXY')
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') throw new ConfigError(`TRUST_PROXY=true would believe any client's X-Forwarded-For: set ${TRUST_PROXY_HELP}`)
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops < 1 || hops > 20) throw new ConfigError(`TRUST_PROXY must be between 1 and 20 proxy hops (or unset for none), got ${raw}`)
    return hops
  }
  const list = raw.split(',').map((entry) => entry.trim())
  for (const entry of list) {
    if (!isAddressOrCidr(entry)) throw new ConfigError(`TRUST_PROXY must be ${TRUST_PROXY_HELP}; "${entry}" is neither`)
  }
  return list
}

/**
 * Fastify's trustProxy for a TRUST_PROXY value. A hop count trusts that many proxies nearest to us (Fastify's own
 * numeric option trusts none); an address list is handed to Fastify as it is.
 */
export function trustProxyOption (value: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value
  return function trustNearest (_address, hop) { return hop < value }
}

/**
 * A JSON setting given inline (`name`) or as a file (`fileName`), never both. Returns the parsed value and where it came
 * from (for error messages), or undefined when neither is set.
 */
export function readJsonSetting (env: Env, name: string, fileName: string): { value: unknown, source: string } | undefined {
  const inline = readJson(env, name)
  const file = present(env, fileName)
  if (inline !== undefined && file !== undefined) throw new ConfigError(`set ${name} or ${fileName}, not both`)
  if (inline !== undefined) return { value: inline, source: name }
  if (file === undefined) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`${fileName} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return { value: JSON.parse(text), source: `${fileName} ${file}` }
  } catch (err) {
    throw new ConfigError(`${fileName} ${file} is not valid JSON: ${(err as Error).message}`)
  }
}

/** Where a service serves `GET /metrics`: a listener of its own, never the public one. */
export interface MetricsListenerConfig {
  host: string
  /** 0 picks a free port (tests). */
  port: number
  /** The bearer token a scrape must send (`Authorization: Bearer <token>`); required off loopback. */
  token?: string
}

/**
 * METRICS_HOST, METRICS_PORT and METRICS_TOKEN. Browsers and WeChat reach PORT; metrics stay off it, on loopback by
 * default. Another METRICS_HOST (a container's 0.0.0.0, so that Prometheus on the same network can scrape) makes
 * METRICS_TOKEN required: metrics are never served unauthenticated beyond this machine.
 */
export function readMetricsListener (env: Env, defaults: { port: number, publicPort: number }): MetricsListenerConfig {
  const host = readString(env, 'METRICS_HOST', '127.0.0.1')
  const port = readInt(env, 'METRICS_PORT', defaults.port, { min: 0, max: 65535 })
  if (port !== 0 && port === defaults.publicPort) throw new ConfigError(`METRICS_PORT must differ from PORT (${port}): /metrics is never served on the public listener`)
  const token = present(env, 'METRICS_TOKEN')
  if (token !== undefined) {
    refusePlaceholder('METRICS_TOKEN', token)
    if (token.length < 32) throw new ConfigError(`METRICS_TOKEN must be at least 32 characters, got ${token.length}`)
    if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError('METRICS_TOKEN must be printable ASCII without spaces (it travels in an Authorization header)')
  } else if (!isLoopbackHost(host)) {
    throw new ConfigError(`METRICS_TOKEN is required with METRICS_HOST ${host}, which is not a loopback address: metrics are never served unauthenticated beyond this machine`)
  }
  return token === undefined ? { host, port } : { host, port, token }
}

/** Where a service listens and how it logs: what every service reads first. */
export interface ListenerConfig {
  port: number
  host: string
  /** METRICS_HOST, METRICS_PORT, METRICS_TOKEN: where /metrics is served, never on PORT. */
  metrics: MetricsListenerConfig
  logLevel: string
  /** DRAIN_MS: after SIGTERM, served this long while /readyz answers 503, then closed. */
  drainMs: number
}

/** PORT, HOST, the metrics listener (readMetricsListener), LOG_LEVEL and DRAIN_MS, with the service's own default ports. */
export function readListener (env: Env, defaults: { port: number, metricsPort: number }): ListenerConfig {
  const port = readPort(env, defaults.port)
  return {
    port,
    host: readString(env, 'HOST', '127.0.0.1'),
    metrics: readMetricsListener(env, { port: defaults.metricsPort, publicPort: port }),
    logLevel: readLogLevel(env),
    drainMs: readDrainMs(env)
  }
}

/** DATABASE_URL (readDatabaseUrl; none: the embedded database) and DATABASE_POOL_MAX, for the services that use PostgreSQL. */
export interface DatabaseConfig {
  databaseUrl?: string
  poolMax: number
}

export function readDatabase (env: Env): DatabaseConfig {
  return { databaseUrl: readDatabaseUrl(env), poolMax: readInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }) }
}
