import type { RedisClient } from '@kefu/service'

/** Fixed-window counter: `hit` says whether one more event fits in the current window. */
export interface RateLimiter {
  hit: (key: string) => Promise<{ allowed: boolean, retryAfterS: number }>
}

export function createMemoryRateLimiter (limit: number, windowMs: number, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { start: number, count: number }>()
  return {
    async hit (key) {
      const t = now()
      let w = windows.get(key)
      if (w === undefined || t - w.start >= windowMs) {
        if (windows.size > 10_000) for (const [k, v] of windows) if (t - v.start >= windowMs) windows.delete(k)
        w = { start: t, count: 0 }
        windows.set(key, w)
      }
      w.count++
      return { allowed: w.count <= limit, retryAfterS: Math.ceil((w.start + windowMs - t) / 1000) }
    }
  }
}

/** Shared by every instance: INCR and PEXPIRE NX in one MULTI round trip. */
export function createRedisRateLimiter (client: RedisClient, prefix: string, limit: number, windowMs: number): RateLimiter {
  return {
    async hit (key) {
      const [count, , ttl] = await client.multi()
        .incr(prefix + key)
        .pExpire(prefix + key, windowMs, 'NX')
        .pTTL(prefix + key)
        .exec() as unknown as [number, number, number]
      return { allowed: Number(count) <= limit, retryAfterS: Math.max(1, Math.ceil(Number(ttl) / 1000)) }
    }
  }
}
