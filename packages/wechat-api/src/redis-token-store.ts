import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { closeRedisClient, createRedisClient, hashTag, sendCommand, type RedisClient, type RedisTarget } from '@kefu/service'
import { WechatApiError } from './errors.js'
import { RenewalFlights, type CachedToken, type TokenStore } from './token-store.js'

export interface RedisTokenStoreOptions {
  /**
   * Key prefix, ending with ':' (default `kefu:wechat-token:`). Keys: `<prefix>{<appid>}:token` and
   * `<prefix>{<appid>}:lock`, hash-tagged by the appid so that both sit in one slot of a Redis Cluster.
   */
  prefix?: string
  /**
   * The store connects (with `@kefu/service`'s `createRedisClient`: a URL, or `{ cluster: [urls] }`) and closes its own
   * client. Exactly one of `url` and `client`.
   */
  url?: RedisTarget
  /** A client the caller owns (connects and closes); a cluster client too. */
  client?: RedisClient
  /** With `url`: receives connection errors. */
  onError?: (message: string) => void
  /** The refresh lock expires after this long if its holder dies (default 15 000 ms). */
  lockTtlMs?: number
  /** How long a caller waits for another process's refresh before failing (default 20 000 ms). */
  waitTimeoutMs?: number
  /** How often a waiting caller looks at the cache and the lock (default 25 ms). */
  pollMs?: number
}

export interface RedisTokenStore extends TokenStore {
  readonly kind: 'redis'
  readonly prefix: string
  readonly lockTtlMs: number
}

// Both only act while the caller still holds the lock: a holder whose lock expired must neither overwrite the
// token of the process that took over nor release that process's lock.
const STORE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`
const RELEASE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * Access tokens shared by every process that uses the same Redis and prefix. One process at a time refreshes a
 * mini program's token, holding `SET <lock> <owner> NX PX lockTtlMs`; the others poll the cache until a token
 * they accept appears, the lock frees (then one of them takes it), or `waitTimeoutMs` passes.
 */
export async function createRedisTokenStore (options: RedisTokenStoreOptions): Promise<RedisTokenStore> {
  const prefix = options.prefix ?? 'kefu:wechat-token:'
  if (!/^[^\s{}]+:$/.test(prefix)) {
    throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `Redis token store prefix must be non-empty, without spaces or braces, and end with ':', got ${JSON.stringify(prefix)}`)
  }
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', 'createRedisTokenStore needs exactly one of `url` and `client`')
  }
  const lockTtlMs = positive('lockTtlMs', options.lockTtlMs ?? 15_000)
  const waitTimeoutMs = positive('waitTimeoutMs', options.waitTimeoutMs ?? 20_000)
  const pollMs = positive('pollMs', options.pollMs ?? 25)
  const client = options.client ?? await createRedisClient(options.url as RedisTarget, options.onError)
  const owned = options.client === undefined
  const flights = new RenewalFlights()
  const tokenKey = (appid: string): string => `${prefix}${hashTag(appid)}:token`
  const lockKey = (appid: string): string => `${prefix}${hashTag(appid)}:lock`

  async function get (appid: string): Promise<CachedToken | undefined> {
    const raw: unknown = await sendCommand(client, ['GET', tokenKey(appid)])
    return typeof raw === 'string' ? parseToken(raw) : undefined
  }

  async function renewAcrossProcesses (appid: string, usable: (t: CachedToken | undefined) => boolean,
    fetch: (t: CachedToken | undefined) => Promise<CachedToken>): Promise<CachedToken> {
    const deadline = performance.now() + waitTimeoutMs
    for (;;) {
      const cached = await get(appid)
      if (usable(cached)) return cached as CachedToken
      const owner = randomUUID()
      const locked: unknown = await sendCommand(client, ['SET', lockKey(appid), owner, 'NX', 'PX', String(lockTtlMs)])
      if (locked === 'OK') {
        try {
          // Whoever held the lock before may have stored a token between our GET and our SET NX.
          const current = await get(appid)
          if (usable(current)) return current as CachedToken
          const fresh = await fetch(current)
          // The key lives as long as the token (its lifetime starts when it was fetched): Redis reclaims, the client decides.
          const ttl = Math.max(1000, Math.ceil(fresh.expiresAt - fresh.obtainedAt))
          await sendCommand(client, ['EVAL', STORE_IF_OWNER, '2', lockKey(appid), tokenKey(appid), owner, JSON.stringify(fresh), String(ttl)])
          return fresh
        } finally {
          await sendCommand(client, ['EVAL', RELEASE_IF_OWNER, '1', lockKey(appid), owner]).catch(() => {})
        }
      }
      if (performance.now() + pollMs > deadline) {
        throw new WechatApiError('KEFU_WECHAT_API_TOKEN_UNAVAILABLE',
          `another process held the access token refresh of ${appid} for more than ${waitTimeoutMs} ms`, { appid, api: 'cgi-bin/stable_token' })
      }
      await delay(pollMs)
    }
  }

  return {
    kind: 'redis',
    prefix,
    lockTtlMs,
    get,
    async renew (appid, usable, fetch) {
      return await flights.run(appid, usable, async () => await renewAcrossProcesses(appid, usable, fetch))
    },
    async close () {
      if (!owned) return
      await closeRedisClient(client)
    }
  }
}

function parseToken (raw: string): CachedToken | undefined {
  try {
    const value = JSON.parse(raw) as Partial<CachedToken>
    if (typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'number' ||
      typeof value.refreshAt !== 'number' || typeof value.obtainedAt !== 'number') return undefined
    return { accessToken: value.accessToken, obtainedAt: value.obtainedAt, refreshAt: value.refreshAt, expiresAt: value.expiresAt }
  } catch {
    return undefined
  }
}

function positive (name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `Redis token store ${name} must be a positive number, got ${value}`)
  }
  return value
}
