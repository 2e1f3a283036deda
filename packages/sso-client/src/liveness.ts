import type { AuthClient } from './auth-client.js'
import type { LoginState } from './protocol.js'

const MAX_ENTRIES = 10_000

interface Entry { state: LoginState, at: number }

/**
 * What B knows of the A logins behind its sessions, and the person's activity on B that A has not heard of yet.
 *
 * A is asked at most once per `intervalMs` per A login (concurrent requests share one call), so a missed back-channel
 * logout is seen within `intervalMs`; once the end A announced has passed, A is asked at once (an idle or absolute
 * end is seen on the next request, unless activity elsewhere moved it). Each call carries the time of the latest request
 * the person made on B since the last report (`activeAt`): activity on B keeps the A login alive. Activity that
 * arrives while A's last answer is still fresh is reported by a timer when that answer goes stale, so A hears of
 * every piece of activity within `intervalMs` of it — before the idle limit as long as `intervalMs` is below it.
 * Per process: instances need not agree, each only caches what A said.
 */
export class LivenessCache {
  readonly #entries = new Map<string, Entry>()
  readonly #asking = new Map<string, Promise<LoginState>>()
  /** sid → the latest person activity on B not reported to A yet. */
  readonly #unreported = new Map<string, { sub: string, at: number }>()
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #auth: AuthClient
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #onFlushError: (err: Error) => void

  constructor (auth: AuthClient, intervalMs: number, now: () => number, onFlushError: (err: Error) => void = () => {}) {
    this.#auth = auth
    this.#intervalMs = intervalMs
    this.#now = now
    this.#onFlushError = onFlushError
  }

  /**
   * The A login `sid` of account `sub`: what A said within the interval, or A's answer now. `activityAt`: this
   * request is one the person made, at that time (it is reported to A).
   */
  async state (sub: string, sid: string, activityAt?: number): Promise<LoginState> {
    const entry = this.#entries.get(sid)
    if (entry !== undefined && !entry.state.active) return entry.state
    if (activityAt !== undefined) this.#noteActivity(sub, sid, activityAt)
    const t = this.#now()
    if (entry !== undefined && t >= entry.at && t - entry.at < this.#intervalMs) {
      const projected = this.#projected(entry.state, sid)
      // Past the end A announced, A is asked at once: the login ends then, unless activity elsewhere moved it.
      if (projected.active && projected.expiresAt > t) {
        if (this.#unreported.has(sid)) this.#scheduleFlush(sid, entry.at + this.#intervalMs - t)
        return projected
      }
    }
    return await this.#ask(sub, sid)
  }

  /** The person asked to stay signed in: report the activity to A now, whatever the interval. */
  async keepAlive (sub: string, sid: string, at: number): Promise<LoginState> {
    const entry = this.#entries.get(sid)
    if (entry !== undefined && !entry.state.active) return entry.state
    this.#noteActivity(sub, sid, at)
    await this.#asking.get(sid)?.catch(() => {})
    return await this.#ask(sub, sid)
  }

  /** The back-channel said this login ended. */
  markEnded (sid: string): void {
    this.#set(sid, { active: false }, this.#now())
    this.#unreported.delete(sid)
    clearTimeout(this.#timers.get(sid))
    this.#timers.delete(sid)
  }

  close (): void {
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  #noteActivity (sub: string, sid: string, at: number): void {
    const known = this.#unreported.get(sid)
    if (known === undefined || at > known.at) this.#unreported.set(sid, { sub, at })
  }

  /** A's last answer, with the activity A has not heard of yet moving the idle end (never past the cap). */
  #projected (state: LoginState, sid: string): LoginState {
    const pending = this.#unreported.get(sid)
    if (!state.active || pending === undefined) return state
    return { ...state, expiresAt: Math.min(Math.max(state.expiresAt, pending.at + state.idleMs), state.capAt) }
  }

  #ask (sub: string, sid: string): Promise<LoginState> {
    let asking = this.#asking.get(sid)
    if (asking !== undefined) return asking
    const t = this.#now()
    const report = this.#unreported.get(sid)?.at
    asking = this.#auth.check(sub, sid, report).then((state) => {
      // An A login never comes back once ended: an answer that left A before a back-channel logout arrived
      // must not revive it.
      if (this.#entries.get(sid)?.state.active === false) return { active: false } as const
      if (report !== undefined && this.#unreported.get(sid)?.at === report) this.#unreported.delete(sid)
      if (!state.active) this.#unreported.delete(sid)
      this.#set(sid, state, t)
      return this.#projected(state, sid)
    }).finally(() => { this.#asking.delete(sid) })
    this.#asking.set(sid, asking)
    return asking
  }

  #scheduleFlush (sid: string, inMs: number): void {
    if (this.#timers.has(sid)) return
    const timer = setTimeout(() => {
      this.#timers.delete(sid)
      const pending = this.#unreported.get(sid)
      if (pending !== undefined) this.#ask(pending.sub, sid).catch(this.#onFlushError)
    }, Math.max(0, inMs))
    timer.unref()
    this.#timers.set(sid, timer)
  }

  #set (sid: string, state: LoginState, at: number): void {
    this.#entries.delete(sid)
    this.#entries.set(sid, { state, at })
    if (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined && oldest !== sid) {
        this.#entries.delete(oldest)
        this.#unreported.delete(oldest)
      }
    }
  }
}
