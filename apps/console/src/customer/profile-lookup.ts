import { createHmac, randomBytes } from 'node:crypto'
import type { RedisClient } from '@kefu/service'
import type { MiniProgramLookup } from '../common/mini-programs.js'

/** What the business's backend says about a customer, as the customer panel shows it. */
export interface CustomerProfile {
  name?: string
  /** The customer's picture (an https URL), shown as their avatar. */
  avatar?: string
  /** Label and value pairs, in order: orders, membership, city… */
  fields: Array<{ label: string, value: string }>
  /** A page about this customer in the business's own tools. */
  url?: string
}

/** ok: the backend answered; none: it knows no such customer (404); unavailable: it failed or was slow; off: not configured. */
export type ProfileResult =
  | { status: 'ok', profile: CustomerProfile }
  | { status: 'none' | 'unavailable' | 'off' }

export interface ProfileLookupOptions {
  /** The mini programs as they are now (profileUrl, profileSecret). */
  apps: MiniProgramLookup
  /** Shared by every console process when given; in-process otherwise. */
  redis: RedisClient | null
  redisPrefix: string
  /** How long one lookup may take (default 1500 ms). */
  timeoutMs?: number
  /** How long an answer is kept (default 300 s). A failure is remembered for a tenth of it, at most 30 s. */
  cacheS?: number
  fetch?: typeof fetch
  now?: () => number
  logger?: { info: (obj: object, msg: string) => void }
}

export const SIGNATURE_HEADER = 'x-kefu-signature'
const MAX_BODY = 64 * 1024
const MAX_FIELDS = 20

/**
 * `sha256=` and the hex HMAC-SHA256 of the exact request body under the mini program's profileSecret. The body
 * carries the time of the request (`timestamp`, unix seconds) and a `nonce` of its own (128 random bits, hex): the
 * backend recomputes the HMAC over the bytes it received, compares in constant time, refuses a timestamp more than
 * 5 minutes off and a nonce it has seen in those 5 minutes, so a captured request cannot be played again.
 */
export function signProfileRequest (body: string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
}

function text (value: unknown, max: number): string | undefined {
  if (typeof value === 'number') value = String(value)
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : undefined
}

/** Keeps what the panel can show of an answer; null when it is not a profile at all. */
export function readProfile (value: unknown): CustomerProfile | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  const v = value as Record<string, unknown>
  const profile: CustomerProfile = { fields: [] }
  const name = text(v.name, 100)
  if (name !== undefined) profile.name = name
  if (Array.isArray(v.fields)) {
    for (const f of v.fields.slice(0, MAX_FIELDS)) {
      if (f === null || typeof f !== 'object') continue
      const label = text((f as Record<string, unknown>).label, 64)
      const val = text((f as Record<string, unknown>).value, 500)
      if (label !== undefined && val !== undefined) profile.fields.push({ label, value: val })
    }
  }
  const avatar = text(v.avatar, 2048)
  if (avatar !== undefined && /^https:\/\//i.test(avatar)) profile.avatar = avatar
  const url = text(v.url, 2048)
  if (url !== undefined && /^https?:\/\//i.test(url)) profile.url = url
  return profile
}

/**
 * The optional customer-profile lookup: a signed POST to the mini program's profileUrl with the customer's openid,
 * server to server, bounded by a short timeout, its answers cached. A failure costs the agent nothing: the panel
 * shows what kefu knows, and the lookup is not tried again for a while.
 */
export class ProfileLookup {
  readonly #lookup: MiniProgramLookup
  readonly #redis: RedisClient | null
  readonly #prefix: string
  readonly #timeoutMs: number
  readonly #cacheMs: number
  readonly #fetch: typeof fetch
  readonly #now: () => number
  readonly #logger: ProfileLookupOptions['logger']
  readonly #memory = new Map<string, { until: number, result: ProfileResult }>()
  readonly #inFlight = new Map<string, Promise<ProfileResult>>()

  constructor (options: ProfileLookupOptions) {
    this.#lookup = options.apps
    this.#redis = options.redis
    this.#prefix = options.redisPrefix
    this.#timeoutMs = options.timeoutMs ?? 1500
    this.#cacheMs = (options.cacheS ?? 300) * 1000
    this.#fetch = options.fetch ?? fetch
    this.#now = options.now ?? Date.now
    this.#logger = options.logger
  }

  configured (appId: string): boolean {
    return this.#target(appId) !== undefined
  }

  #target (appId: string): { url: string, secret: string } | undefined {
    const app = this.#lookup.find(appId)
    return app?.profileUrl === undefined || app.profileSecret === undefined ? undefined : { url: app.profileUrl, secret: app.profileSecret }
  }

  async lookup (appId: string, openid: string): Promise<ProfileResult> {
    const target = this.#target(appId)
    if (target === undefined) return { status: 'off' }
    const key = `${appId}:${openid}`
    const cached = await this.#cached(key)
    if (cached !== null) return cached
    let pending = this.#inFlight.get(key)
    if (pending === undefined) {
      pending = this.#ask(target, appId, openid).then(async (result) => {
        await this.#remember(key, result)
        return result
      }).finally(() => { this.#inFlight.delete(key) })
      this.#inFlight.set(key, pending)
    }
    return await pending
  }

  async #ask (target: { url: string, secret: string }, appId: string, openid: string): Promise<ProfileResult> {
    const body = JSON.stringify({ appid: appId, openid, timestamp: Math.floor(this.#now() / 1000), nonce: randomBytes(16).toString('hex') })
    const started = this.#now()
    try {
      const res = await this.#fetch(target.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: { 'content-type': 'application/json', accept: 'application/json', [SIGNATURE_HEADER]: signProfileRequest(body, target.secret) },
        body
      })
      if (res.status === 404) { await res.body?.cancel(); return { status: 'none' } }
      if (res.status !== 200) throw new Error(`answered ${res.status}`)
      const raw = await readLimited(res, MAX_BODY)
      const profile = readProfile(JSON.parse(raw))
      if (profile === null) throw new Error('answered something that is not a profile object')
      return { status: 'ok', profile }
    } catch (err) {
      this.#logger?.info({ appid: appId, ms: this.#now() - started, err: (err as Error).message }, 'customer profile lookup failed')
      return { status: 'unavailable' }
    }
  }

  async #cached (key: string): Promise<ProfileResult | null> {
    const local = this.#memory.get(key)
    if (local !== undefined && local.until > this.#now()) return local.result
    if (this.#redis === null) return null
    try {
      const raw = await this.#redis.get(this.#prefix + key)
      return raw === null ? null : JSON.parse(String(raw)) as ProfileResult
    } catch {
      return null
    }
  }

  async #remember (key: string, result: ProfileResult): Promise<void> {
    const failed = result.status === 'unavailable'
    const ttl = failed ? Math.min(30_000, Math.ceil(this.#cacheMs / 10)) : this.#cacheMs
    if (this.#memory.size >= 10_000) {
      const now = this.#now()
      for (const [k, v] of this.#memory) if (v.until <= now) this.#memory.delete(k)
      if (this.#memory.size >= 10_000) this.#memory.delete(this.#memory.keys().next().value!)
    }
    // Failures stay in this process: another one may well reach the backend.
    if (failed || this.#redis === null) {
      this.#memory.set(key, { until: this.#now() + ttl, result })
      return
    }
    await this.#redis.set(this.#prefix + key, JSON.stringify(result), { PX: ttl }).catch(() => {})
  }
}

async function readLimited (res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader()
  if (reader === undefined) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    size += value.length
    if (size > max) {
      await reader.cancel()
      throw new Error(`answered more than ${max} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
