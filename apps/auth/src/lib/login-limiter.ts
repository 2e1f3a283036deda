import type { RedisClient } from '@kefu/service'

export interface LimitRule {
  /** Attempts allowed in one window (a successful login gives its attempt back). */
  max: number
  windowS: number
}

export interface LoginLimits {
  account: LimitRule
  ip: LimitRule
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  account: { max: 10, windowS: 900 },
  ip: { max: 100, windowS: 900 }
}

export type Admission =
  | { allowed: true }
  | { allowed: false, by: 'account' | 'ip', retryAfterS: number }

/**
 * Counts login attempts per account and per client IP in fixed windows. An attempt is counted *before* the
 * password is checked (so concurrent guesses cannot slip past the limit); a success takes its attempt back and
 * clears the account's count. Over the limit, the password is not even checked.
 */
export interface LoginLimiter {
  admit (account: string, ip: string): Promise<Admission>
  succeeded (account: string, ip: string): Promise<void>
}

function decide (limits: LoginLimits, account: { count: number, ttlMs: number }, ip: { count: number, ttlMs: number }): Admission {
  if (account.count > limits.account.max) return { allowed: false, by: 'account', retryAfterS: Math.max(1, Math.ceil(account.ttlMs / 1000)) }
  if (ip.count > limits.ip.max) return { allowed: false, by: 'ip', retryAfterS: Math.max(1, Math.ceil(ip.ttlMs / 1000)) }
  return { allowed: true }
}

/** Usernames compare case-insensitively here so that "Alice" and "alice" share one budget. */
function accountKey (account: string): string {
  return account.toLowerCase().slice(0, 128)
}

const MAX_MEMORY_KEYS = 100_000

export function createMemoryLoginLimiter (limits: LoginLimits, now: () => number): LoginLimiter {
  const windows = new Map<string, { count: number, resetAt: number }>()
  function sweep (t: number): void {
    // Constant window length per kind, so entries sit roughly in expiry order: stop at the first live one.
    for (const [key, w] of windows) {
      if (w.resetAt > t && windows.size <= MAX_MEMORY_KEYS) break
      windows.delete(key)
    }
  }
  function hit (key: string, rule: LimitRule, t: number): { count: number, ttlMs: number } {
    let w = windows.get(key)
    if (w === undefined || w.resetAt <= t) {
      windows.delete(key)
      w = { count: 0, resetAt: t + rule.windowS * 1000 }
      windows.set(key, w)
    }
    w.count++
    return { count: w.count, ttlMs: w.resetAt - t }
  }
  return {
    async admit (account, ip) {
      const t = now()
      sweep(t)
      return decide(limits, hit('a:' + accountKey(account), limits.account, t), hit('i:' + ip, limits.ip, t))
    },
    async succeeded (account, ip) {
      windows.delete('a:' + accountKey(account))
      const w = windows.get('i:' + ip)
      if (w !== undefined && w.count > 0) w.count--
    }
  }
}

// One key per script call, so the limiter also works on Redis Cluster. The window is decided from the app's
// clock (ARGV[1]), like session expiry; the key's TTL only reclaims memory.
const HIT = `
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'n', 'reset')
local n = tonumber(r[1])
local reset = tonumber(r[2])
if n == nil or reset == nil or reset <= now then
  n = 0
  reset = now + tonumber(ARGV[2])
end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'reset', reset)
redis.call('PEXPIRE', KEYS[1], reset - now + 60000)
return {n, reset - now}
`
const GIVE_BACK = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n > 0 then redis.call('HINCRBY', KEYS[1], 'n', -1) end
return n
`

export function createRedisLoginLimiter (client: RedisClient, prefix: string, limits: LoginLimits, now: () => number): LoginLimiter {
  async function hit (key: string, rule: LimitRule): Promise<{ count: number, ttlMs: number }> {
    const [count, ttlMs] = await client.eval(HIT, { keys: [key], arguments: [String(now()), String(rule.windowS * 1000)] }) as [number, number]
    return { count, ttlMs }
  }
  return {
    async admit (account, ip) {
      const [a, i] = await Promise.all([
        hit(prefix + 'a:' + accountKey(account), limits.account),
        hit(prefix + 'i:' + ip, limits.ip)
      ])
      return decide(limits, a, i)
    },
    async succeeded (account, ip) {
      await Promise.all([
        client.del(prefix + 'a:' + accountKey(account)),
        client.eval(GIVE_BACK, { keys: [prefix + 'i:' + ip], arguments: [] })
      ])
    }
  }
}
