import type { FastifyReply, FastifyRequest } from 'fastify'
import { SessionEndedError, SessionRequiredError } from './errors.js'
import { expiresAt } from './expiry.js'
import { isSessionId, newSessionId, sessionHandle } from './id.js'
import type { SessionLimits, SessionStore, StoredSession } from './store.js'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

export interface SessionUser {
  readonly id: string
  readonly username: string
}

export interface CookieSigner {
  sign (value: string): string
  unsign (value: string): { valid: boolean, renew: boolean, value: string | null }
}

/** What the plugin resolves once per app and every request's session shares. */
export interface SessionContext {
  readonly store: SessionStore
  readonly limits: SessionLimits
  readonly now: () => number
  readonly signer: CookieSigner
  readonly cookieName: string
  readonly secure: 'auto' | boolean
  /** Max-Age rolls with the idle limit, or lasts to the absolute deadline. */
  readonly cookieLifetime: 'idle' | 'absolute'
  readonly parseCookie: (header: string) => Record<string, string | undefined>
}



/**
 * `request.kefuSession`: lazy. Nothing touches the store until a route calls `load()` / `require()` (or
 * `requireSession` runs), so routes without sessions cost nothing; a loaded session costs one store round trip,
 * and the rolling cookie is set on that response. Data writes are partial and explicit (`update`).
 */
export class RequestSession {
  readonly #ctx: SessionContext
  readonly #request: FastifyRequest
  readonly #reply: FastifyReply
  #loading: Promise<SessionUser | null> | undefined
  #current: StoredSession | null = null
  #user: SessionUser | null = null
  #parsed: Map<string, JsonValue> | null = null
  #secure: boolean | undefined

  constructor (ctx: SessionContext, request: FastifyRequest, reply: FastifyReply) {
    this.#ctx = ctx
    this.#request = request
    this.#reply = reply
  }

  /** The logged-in user once `load()` resolved; `null` before that and for anonymous requests. */
  get user (): SessionUser | null { return this.#user }

  /** A non-secret, stable name of the current session (matches `SessionSummary.handle`). */
  get handle (): string | null { return this.#current === null ? null : sessionHandle(this.#current.id) }

  get createdAt (): number | null { return this.#current?.createdAt ?? null }

  /** When the session ends unless it is used again. */
  get expiresAt (): number | null {
    const c = this.#current
    return c === null ? null : expiresAt(c.createdAt, c.lastSeenAt, this.#ctx.limits)
  }

  /** Whether this request's cookie is Secure (and `__Host-`): over HTTPS with `secure: 'auto'`, always with `true`. */
  get secure (): boolean {
    return this.#isSecure()
  }

  /** The cookie name this request uses: `__Host-<cookieName>` when the cookie is Secure. */
  get cookieName (): string {
    return this.#isSecure() ? '__Host-' + this.#ctx.cookieName : this.#ctx.cookieName
  }

  /**
   * Reads the session of this request: one store round trip (read + check + touch) the first time, memoized after.
   * Resolves to `null` when there is no live session; rejects with `SessionStoreUnavailableError` (503).
   */
  load (): Promise<SessionUser | null> {
    this.#loading ??= this.#load()
    return this.#loading
  }

  /** Like `load()`, but rejects with `SessionRequiredError` (401) when nobody is logged in. */
  async require (): Promise<SessionUser> {
    const user = await this.load()
    if (user === null) throw new SessionRequiredError()
    return user
  }

  /** A value of the loaded session's data; `undefined` when absent or when nobody is logged in. */
  get<T extends JsonValue = JsonValue> (key: string): T | undefined {
    const current = this.#current
    if (current === null) return undefined
    this.#parsed ??= new Map()
    if (this.#parsed.has(key)) return this.#parsed.get(key) as T
    const raw = current.data[key]
    if (raw === undefined) return undefined
    const value = JSON.parse(raw) as JsonValue
    this.#parsed.set(key, value)
    return value as T
  }

  /**
   * Writes only the given keys (`undefined` deletes a key); keys written by concurrent requests are kept.
   * The write succeeds only while the session is live: after a logout it rejects with `SessionEndedError` (401)
   * and the session stays gone.
   */
  async update (patch: Readonly<Record<string, JsonValue | undefined>>): Promise<void> {
    await this.require()
    const current = this.#current as StoredSession
    const set: Record<string, string> = Object.create(null)
    const unset: string[] = []
    for (const [key, value] of Object.entries(patch)) {
      if (key === '') throw new TypeError('session data keys must be non-empty')
      if (value === undefined) unset.push(key)
      else set[key] = JSON.stringify(value)
    }
    const ok = await this.#ctx.store.update(current.id, { set, unset }, this.#ctx.now(), this.#ctx.limits)
    if (!ok) {
      this.#forget()
      this.#clearCookie()
      throw new SessionEndedError()
    }
    const data: Record<string, string> = Object.assign(Object.create(null), current.data, set)
    for (const key of unset) delete data[key]
    this.#current = { ...current, data }
    this.#parsed = null
  }

  /**
   * Starts a new session for `user` with a fresh id and destroys the one this request carried, in one store step
   * (no session fixation). Sets the cookie.
   */
  async login (user: SessionUser, data: Readonly<Record<string, JsonValue>> = {}): Promise<void> {
    if (typeof user?.id !== 'string' || user.id === '' || typeof user.username !== 'string') {
      throw new TypeError('login(user) needs a non-empty string user.id and a string user.username')
    }
    await this.load()
    const previous = this.#current
    const encoded: Record<string, string> = Object.create(null)
    for (const [key, value] of Object.entries(data)) encoded[key] = JSON.stringify(value)
    const id = newSessionId(user.id)
    const now = this.#ctx.now()
    await this.#ctx.store.create({ id, userId: user.id, username: user.username, data: encoded }, now, this.#ctx.limits,
      previous === null ? undefined : { id: previous.id, userId: previous.userId })
    const record: StoredSession = { id, userId: user.id, username: user.username, createdAt: now, lastSeenAt: now, data: encoded }
    this.#remember(record)
    this.#loading = Promise.resolve(this.#user)
    this.#setCookie(this.#ctx.signer.sign(id), record, now)
  }

  /** Destroys this request's session (if any) and clears the cookie. */
  async logout (): Promise<void> {
    await this.load()
    const current = this.#current
    if (current !== null) await this.#ctx.store.destroy(current.id, current.userId)
    this.#forget()
    if (current !== null || this.#rawCookie() !== undefined) this.#clearCookie()
  }

  async #load (): Promise<SessionUser | null> {
    const raw = this.#rawCookie()
    if (raw === undefined || raw === '') return null
    const unsigned = this.#ctx.signer.unsign(raw)
    if (!unsigned.valid || unsigned.value === null || !isSessionId(unsigned.value)) {
      this.#clearCookie()
      return null
    }
    const now = this.#ctx.now()
    const record = await this.#ctx.store.touch(unsigned.value, now, this.#ctx.limits)
    if (record === null) {
      this.#clearCookie()
      return null
    }
    this.#remember(record)
    this.#setCookie(unsigned.renew ? this.#ctx.signer.sign(record.id) : raw, record, now)
    return this.#user
  }

  #remember (record: StoredSession): void {
    this.#current = record
    this.#user = { id: record.userId, username: record.username }
    this.#parsed = null
  }

  #forget (): void {
    this.#current = null
    this.#user = null
    this.#parsed = null
    this.#loading = Promise.resolve(null)
  }

  #isSecure (): boolean {
    this.#secure ??= this.#ctx.secure === 'auto' ? this.#request.protocol === 'https' : this.#ctx.secure
    return this.#secure
  }

  #rawCookie (): string | undefined {
    const name = this.cookieName
    const cookies = this.#request.cookies
    if (cookies != null) return cookies[name]
    const header = this.#request.headers.cookie
    return header === undefined ? undefined : this.#ctx.parseCookie(header)[name]
  }

  /** Max-Age rolls with the idle timeout from this touch (or lasts to the absolute deadline) and never reaches past it. */
  #setCookie (value: string, record: StoredSession, now: number): void {
    const { idleMs, absoluteMs } = this.#ctx.limits
    const left = record.createdAt + absoluteMs - now
    const maxAge = Math.max(0, Math.floor((this.#ctx.cookieLifetime === 'absolute' ? left : Math.min(idleMs, left)) / 1000))
    this.#reply.setCookie(this.cookieName, value, {
      path: '/', httpOnly: true, sameSite: 'lax', secure: this.#isSecure(), maxAge
    })
  }

  #clearCookie (): void {
    this.#reply.clearCookie(this.cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.#isSecure() })
  }
}
