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
 * every piece of activity within `intervalMs` of it. Held back that long, activity in the last moments before A's idle
 * end would reach A after it, and the login would end under a person at work: so when the report held back could
 * land after the end A announced (`intervalMs`, plus `reportMs` for the call itself), it goes to A at once instead.
 * Per process: instances need not agree, each only caches what A said.
 */
export class LivenessCache {
  readonly #entries = new Map<string, Entry>()
  readonly #asking = new Map<string, Promise<LoginState>>()
  /** sid → the latest person activity on B not reported to A yet. */
  readonly #unreported = new Map<string, { sub: string, at: number }>()
  readonly #timers = new Map<string, { timer: NodeJS.Timeout, at: number }>()
  readonly #auth: AuthClient
  readonly #intervalMs: number
  readonly #reportMs: number
  readonly #now: () => number
  readonly #onFlushError: (err: Error) => void

  /** `reportMs`: the longest a call to A may take (its timeout): a report sent later than that before the end is too late. */
  constructor (auth: AuthClient, intervalMs: number, reportMs: number, now: () => number, onFlushError: (err: Error) => void = () => {}) {
    this.#auth = auth
    this.#intervalMs = intervalMs
    this.#reportMs = reportMs
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
        if (!this.#unreported.has(sid)) return projected
        // Near A's end, this request waits for A to hear of the activity.
        if (!this.#nearEnd(entry)) {
          this.#scheduleFlush(sid, entry.at + this.#intervalMs - t)
          return projected
        }
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
    clearTimeout(this.#timers.get(sid)?.timer)
    this.#timers.delete(sid)
  }

  close (): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  /**
   * Whether a report held back until the interval ends might reach A after the idle end A announced in `entry`.
   * At the absolute end nothing moves it, so activity need not hurry.
   */
  #nearEnd (entry: Entry): boolean {
    if (!entry.state.active || entry.state.expiresAt >= entry.state.capAt) return false
    return entry.at + this.#intervalMs + this.#reportMs > entry.state.expiresAt
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
      // Activity that came while A was being asked (a request that shared this call) is reported like any other.
      if (this.#unreported.has(sid)) {
        const entry = { state, at: t }
        this.#scheduleFlush(sid, this.#nearEnd(entry) ? 0 : t + this.#intervalMs - this.#now())
      }
      return this.#projected(state, sid)
    }).finally(() => { this.#asking.delete(sid) })
    this.#asking.set(sid, asking)
    return asking
  }

  /** A report of the unreported activity in `inMs`, unless one is due sooner already. */
  #scheduleFlush (sid: string, inMs: number): void {
    const at = this.#now() + Math.max(0, inMs)
    const known = this.#timers.get(sid)
    if (known !== undefined) {
      if (known.at <= at) return
      clearTimeout(known.timer)
    }
    const timer = setTimeout(() => {
      this.#timers.delete(sid)
      const pending = this.#unreported.get(sid)
      if (pending !== undefined) this.#ask(pending.sub, sid).catch(this.#onFlushError)
    }, Math.max(0, inMs))
    timer.unref()
    this.#timers.set(sid, { timer, at })
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
