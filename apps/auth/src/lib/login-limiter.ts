import { clientKey, type RedisClient } from '@kefu/service'

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
  | { allowed: false, by: 'account' | 'ip' | 'server', retryAfterS: number }

/**
 * Counts login attempts per client (IP address, an IPv6 client by its /64) and per account in fixed windows. The
 * client is checked first: one over its limit is refused there and adds nothing to any account's count, so it
 * cannot lock accounts out. An attempt is counted *before* the password is checked (so concurrent guesses cannot
 * slip past the limit); a success takes its attempt back and clears the account's count. Over a limit, the password
 * is not even checked.
 */
export interface LoginLimiter {
  admit (account: string, ip: string): Promise<Admission>
  succeeded (account: string, ip: string): Promise<void>
}

function refused (by: 'account' | 'ip' | 'server', ttlMs: number): Admission {
  return { allowed: false, by, retryAfterS: Math.max(1, Math.ceil(ttlMs / 1000)) }
}

/** Usernames compare case-insensitively here so that "Alice" and "alice" share one budget. */
function accountKey (account: string): string {
  return account.toLowerCase().slice(0, 128)
}

/** Windows kept in process memory per kind (clients, accounts); beyond this many live ones, logins are refused. */
export const MAX_MEMORY_KEYS = 100_000

type Hit = { count: number, ttlMs: number } | { full: true, ttlMs: number }

/**
 * The windows of one kind. One rule means one window length, so a Map in insertion order is in expiry order: the
 * sweep drops expired windows from the front and stops at the first live one. A live window is never dropped to
 * make room (that would let a flood of made-up names wipe a victim's count); a new key finds the table full instead.
 */
class WindowTable {
  private readonly windows = new Map<string, { count: number, resetAt: number }>()
  constructor (private readonly windowMs: number, private readonly maxKeys: number) {}

  hit (key: string, t: number): Hit {
    this.sweep(t)
    let w = this.windows.get(key)
    if (w !== undefined && w.resetAt <= t) {
      this.windows.delete(key)
      w = undefined
    }
    if (w === undefined) {
      if (this.windows.size >= this.maxKeys) return { full: true, ttlMs: this.windows.values().next().value!.resetAt - t }
      w = { count: 0, resetAt: t + this.windowMs }
      this.windows.set(key, w)
    }
    w.count++
    return { count: w.count, ttlMs: w.resetAt - t }
  }

  forget (key: string): void {
    this.windows.delete(key)
  }

  giveBack (key: string): void {
    const w = this.windows.get(key)
    if (w !== undefined && w.count > 0) w.count--
  }

  private sweep (t: number): void {
    for (const [key, w] of this.windows) {
      if (w.resetAt > t) break
      this.windows.delete(key)
    }
  }
}

/**
 * In-process counters (one instance, no Redis). When a table is full of live windows, a login whose client or
 * account has none is refused with 429 and Retry-After until the oldest window ends (`by: 'server'`): logins
 * pause under such a flood rather than the flood erasing the counts that hold attackers back.
 */
export function createMemoryLoginLimiter (limits: LoginLimits, now: () => number, options: { maxKeys?: number } = {}): LoginLimiter {
  const maxKeys = options.maxKeys ?? MAX_MEMORY_KEYS
  const clients = new WindowTable(limits.ip.windowS * 1000, maxKeys)
  const accounts = new WindowTable(limits.account.windowS * 1000, maxKeys)
  return {
    async admit (account, ip) {
      const t = now()
      const byClient = clients.hit(clientKey(ip), t)
      if ('full' in byClient) return refused('server', byClient.ttlMs)
      if (byClient.count > limits.ip.max) return refused('ip', byClient.ttlMs)
      const byAccount = accounts.hit(accountKey(account), t)
      if ('full' in byAccount) return refused('server', byAccount.ttlMs)
      if (byAccount.count > limits.account.max) return refused('account', byAccount.ttlMs)
      return { allowed: true }
    },
    async succeeded (account, ip) {
      accounts.forget(accountKey(account))
      clients.giveBack(clientKey(ip))
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
      const byClient = await hit(prefix + 'i:' + clientKey(ip), limits.ip)
      if (byClient.count > limits.ip.max) return refused('ip', byClient.ttlMs)
      const byAccount = await hit(prefix + 'a:' + accountKey(account), limits.account)
      if (byAccount.count > limits.account.max) return refused('account', byAccount.ttlMs)
      return { allowed: true }
    },
    async succeeded (account, ip) {
      await Promise.all([
        client.del(prefix + 'a:' + accountKey(account)),
        client.eval(GIVE_BACK, { keys: [prefix + 'i:' + clientKey(ip)], arguments: [] })
      ])
    }
  }
}
