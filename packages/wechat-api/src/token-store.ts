/** An access token as kefu keeps it. Times are epoch milliseconds of the client's clock. */
export interface CachedToken {
  accessToken: string
  /** When the request that fetched it started. */
  obtainedAt: number
  /** WeChat stops accepting the token at about this time. */
  expiresAt: number
  /** From this time on the token is renewed before use (a margin before `expiresAt`). */
  refreshAt: number
}

export type TokenPredicate = (cached: CachedToken | undefined) => boolean
export type TokenFetcher = (cached: CachedToken | undefined) => Promise<CachedToken>

/**
 * Where access tokens live, and the guarantee that makes them work across processes: `renew` runs `fetch` for an
 * appid at most once at a time among everyone who shares the store, and callers that find a `usable` token
 * (cached, or just fetched by someone else) use it instead of fetching. WeChat invalidates a token when a new one
 * is forced, so two processes refreshing on their own lock each other out.
 */
export interface TokenStore {
  readonly kind: string
  /** How long a refresh may hold the lock; the client's request timeout must be shorter. */
  readonly lockTtlMs?: number
  get: (appid: string) => Promise<CachedToken | undefined>
  /**
   * Returns a token that `usable` accepts: the cached one, one another caller fetched meanwhile, or the result of
   * `fetch(cachedNow)`, run with the appid's lock held and stored before the lock is released. A failed fetch fails
   * every caller that waited for it in this process.
   */
  renew: (appid: string, usable: TokenPredicate, fetch: TokenFetcher) => Promise<CachedToken>
  close: () => Promise<void>
}

/**
 * One renewal per appid at a time in this process: later callers wait for the running one and take its token
 * if it suits them, or start their own after it. A failure is shared by those who waited, so a storm of callers
 * during an outage makes one request, not one each.
 */
export class RenewalFlights {
  private readonly flights = new Map<string, Promise<CachedToken>>()

  async run (appid: string, usable: TokenPredicate, start: () => Promise<CachedToken>): Promise<CachedToken> {
    for (;;) {
      const running = this.flights.get(appid)
      if (running === undefined) break
      const token = await running
      if (usable(token)) return token
    }
    const flight = start()
    this.flights.set(appid, flight)
    try {
      return await flight
    } finally {
      if (this.flights.get(appid) === flight) this.flights.delete(appid)
    }
  }
}

export interface MemoryTokenStore extends TokenStore {
  readonly kind: 'memory'
}

/** Tokens in this process only: for a single process (embedded mode, tests). */
export function createMemoryTokenStore (): MemoryTokenStore {
  const tokens = new Map<string, CachedToken>()
  const flights = new RenewalFlights()
  return {
    kind: 'memory',
    async get (appid) { return tokens.get(appid) },
    async renew (appid, usable, fetch) {
      return await flights.run(appid, usable, async function renewInMemory () {
        const cached = tokens.get(appid)
        if (usable(cached)) return cached as CachedToken
        const fresh = await fetch(cached)
        tokens.set(appid, fresh)
        return fresh
      })
    },
    async close () { tokens.clear() }
  }
}
