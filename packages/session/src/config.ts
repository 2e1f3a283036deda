import { randomBytes } from 'node:crypto'
import { SessionConfigError } from './errors.js'

export interface SessionConfig {
  readonly secret: string
  /** True when SESSION_SECRET was absent and a random one was made for this start (embedded mode only). */
  readonly secretGenerated: boolean
  readonly idleTimeoutS: number
  readonly absoluteTimeoutS: number
  /** REDIS_URL, or undefined for the in-process store. */
  readonly redisUrl: string | undefined
}

export interface ReadSessionConfigOptions {
  /** Embedded mode: make a random secret when SESSION_SECRET is unset instead of refusing to start. */
  generateMissingSecret?: boolean
}

type Env = Readonly<Record<string, string | undefined>>

/** The placeholders .env.example publishes ("change-me…"); the same rule as @kefu/service's, kept here so this package stands alone. */
const PLACEHOLDER = /^change-?me/i

function value (env: Env, name: string): string | undefined {
  const v = env[name]
  return v === undefined || v === '' ? undefined : v
}

function seconds (env: Env, name: string, fallback: number): number {
  const raw = value(env, name)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n) || n <= 0) {
    throw new SessionConfigError(`${name} must be a positive integer number of seconds, got ${JSON.stringify(raw)}`)
  }
  return n
}

/**
 * Reads SESSION_SECRET, SESSION_IDLE_TIMEOUT_S, SESSION_ABSOLUTE_TIMEOUT_S and REDIS_URL from `env`.
 * Throws `SessionConfigError` with one line naming the variable. Empty values count as unset.
 */
export function readSessionConfig (env: Env = process.env, options: ReadSessionConfigOptions = {}): SessionConfig {
  let secret = value(env, 'SESSION_SECRET')
  let secretGenerated = false
  if (secret === undefined) {
    if (options.generateMissingSecret !== true) {
      throw new SessionConfigError('SESSION_SECRET is required: at least 32 characters')
    }
    secret = randomBytes(32).toString('base64url')
    secretGenerated = true
  } else if (PLACEHOLDER.test(secret)) {
    throw new SessionConfigError('SESSION_SECRET is still the placeholder from .env.example: set a random one of 32+ characters')
  } else if (secret.length < 32) {
    throw new SessionConfigError(`SESSION_SECRET must be at least 32 characters, got ${secret.length}`)
  }
  const idleTimeoutS = seconds(env, 'SESSION_IDLE_TIMEOUT_S', 1800)
  const absoluteTimeoutS = seconds(env, 'SESSION_ABSOLUTE_TIMEOUT_S', 43200)
  if (idleTimeoutS > absoluteTimeoutS) {
    throw new SessionConfigError(`SESSION_IDLE_TIMEOUT_S (${idleTimeoutS}) must not exceed SESSION_ABSOLUTE_TIMEOUT_S (${absoluteTimeoutS})`)
  }
  const redisUrl = value(env, 'REDIS_URL')
  if (redisUrl !== undefined) {
    let protocol: string | undefined
    try { protocol = new URL(redisUrl).protocol } catch {}
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      throw new SessionConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got ${protocol === undefined ? 'an unparsable value' : JSON.stringify(protocol + '//…')}`)
    }
  }
  return { secret, secretGenerated, idleTimeoutS, absoluteTimeoutS, redisUrl }
}
