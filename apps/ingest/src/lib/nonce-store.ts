import type { RedisClient } from '@kefu/service'

export type NonceClaim = 'new' | 'same' | 'conflict'

/**
 * Remembers which body a (appid, timestamp, nonce) triple carried. The same request again is fine (WeChat retries);
 * another body under a used triple is a replay. Entries live as long as the timestamp window makes them matter.
 */
export interface NonceStore {
  claim: (key: string, bodyHash: string) => Promise<NonceClaim>
}

export function createMemoryNonceStore (ttlMs: number, now: () => number = Date.now): NonceStore {
  const entries = new Map<string, { hash: string, expires: number }>()
  return {
    async claim (key, bodyHash) {
      const t = now()
      // Entries are inserted in expiry order (constant TTL), so expired ones sit at the front.
      for (const [k, v] of entries) {
        if (v.expires > t) break
        entries.delete(k)
      }
      const existing = entries.get(key)
      if (existing !== undefined) return existing.hash === bodyHash ? 'same' : 'conflict'
      entries.set(key, { hash: bodyHash, expires: t + ttlMs })
      return 'new'
    }
  }
}

/** One round trip: SET NX GET stores the hash if the key is new and returns the old one otherwise (Redis ≥ 7). */
export function createRedisNonceStore (client: RedisClient, prefix: string, ttlMs: number): NonceStore {
  return {
    async claim (key, bodyHash) {
      const previous = await client.set(prefix + key, bodyHash, { condition: 'NX', expiration: { type: 'PX', value: ttlMs }, GET: true })
      if (previous === null || previous === undefined) return 'new'
      return previous === bodyHash ? 'same' : 'conflict'
    }
  }
}
