import type { AuthClient } from './auth-client.js'

const MAX_ENTRIES = 10_000

/**
 * Whether the A login behind a B session is still live, asked of A at most once per `intervalMs` per A login
 * (concurrent requests share one call). A missed back-channel logout is therefore seen within `intervalMs`.
 * Per process: instances need not agree, each only caches what A said.
 */
export class LivenessCache {
  readonly #entries = new Map<string, { active: boolean, at: number }>()
  readonly #pending = new Map<string, Promise<boolean>>()
  readonly #auth: AuthClient
  readonly #intervalMs: number
  readonly #now: () => number

  constructor (auth: AuthClient, intervalMs: number, now: () => number) {
    this.#auth = auth
    this.#intervalMs = intervalMs
    this.#now = now
  }

  async isActive (sub: string, sid: string): Promise<boolean> {
    const entry = this.#entries.get(sid)
    const t = this.#now()
    if (entry !== undefined && (!entry.active || (t - entry.at < this.#intervalMs && t >= entry.at))) return entry.active
    let pending = this.#pending.get(sid)
    if (pending === undefined) {
      pending = this.#auth.isActive(sub, sid).then((active) => {
        // An A login never comes back once ended: an answer that left A before a back-channel logout arrived
        // must not revive it.
        if (this.#entries.get(sid)?.active === false) return false
        this.#set(sid, active, t)
        return active
      }).finally(() => { this.#pending.delete(sid) })
      this.#pending.set(sid, pending)
    }
    return await pending
  }

  /** A has just vouched for this login (a redemption). */
  markActive (sid: string): void {
    this.#set(sid, true, this.#now())
  }

  /** The back-channel said this login ended. */
  markEnded (sid: string): void {
    this.#set(sid, false, this.#now())
  }

  #set (sid: string, active: boolean, at: number): void {
    this.#entries.delete(sid)
    this.#entries.set(sid, { active, at })
    if (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
  }
}
