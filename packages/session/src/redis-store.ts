import { createClient } from 'redis'
import { SessionConfigError, SessionStoreUnavailableError } from './errors.js'
import { expiresAt } from './expiry.js'
import { sessionHandle, sessionTag, userTag } from './id.js'
import { CREATE, DESTROY, DESTROY_ALL, LIST, TOUCH, TOUCH_HANDLE, UPDATE, type Script } from './redis-scripts.js'
import { bySessionAge, type HandleState, type SessionLimits, type SessionStore, type SessionSummary, type StoredSession } from './store.js'

/**
 * The part of a node-redis client the store uses. A client from `createClient()` (node-redis 5 or 6) fits; for a
 * Redis Cluster, `@kefu/service`'s `commandClient(cluster)` routes each command by its first key. Give it
 * `disableOfflineQueue: true` so that commands fail at once while Redis is away instead of waiting.
 */
export interface RedisCommandClient {
  readonly isReady: boolean
  sendCommand (args: readonly string[]): Promise<unknown>
}

export interface RedisStoreOptions {
  /** Key prefix of this app's namespace, ending with ':' (e.g. `kefu:auth:`). */
  prefix: string
  /** A client the app owns (connects, listens for `error`, quits). Exactly one of `client` and `url`. */
  client?: RedisCommandClient
  /** The store creates, connects and closes its own client. */
  url?: string
  /** A command that takes longer fails with 503 (default 2000 ms). */
  timeoutMs?: number
  /** With `url`: how long `createRedisStore` waits for the first connection (default 5000 ms). */
  connectTimeoutMs?: number
  /** With `url`: receives the client's connection errors (reconnection is automatic). */
  onError?: (err: Error) => void
}

export interface RedisSessionStore extends SessionStore {
  readonly kind: 'redis'
  readonly client: RedisCommandClient
}

/** Redis TTL is set this far past the deadline from the stored timestamps: it reclaims memory, never decides. */
const GRACE_MS = 60_000

export async function createRedisStore (options: RedisStoreOptions): Promise<RedisSessionStore> {
  const { prefix } = options
  if (typeof prefix !== 'string' || !/^[^\s{}]+:$/.test(prefix)) {
    throw new SessionConfigError(`Redis store prefix must be non-empty, without spaces or braces, and end with ':', got ${JSON.stringify(prefix)}`)
  }
  if ((options.client === undefined) === (options.url === undefined)) {
    throw new SessionConfigError('createRedisStore needs exactly one of `client` and `url`')
  }
  const timeoutMs = options.timeoutMs ?? 2000
  let client: RedisCommandClient
  let close: () => Promise<void> = async () => {}
  if (options.url !== undefined) {
    const own = await connect(options.url, options.connectTimeoutMs ?? 5000, options.onError)
    client = own
    close = async () => {
      if (own.isReady) await own.close()
      else own.destroy()
    }
  } else {
    client = options.client as RedisCommandClient
  }
  return new RedisStore(client, prefix, timeoutMs, close)
}

async function connect (url: string, connectTimeoutMs: number, onError?: (err: Error) => void) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: Math.min(connectTimeoutMs, 2000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000)
    }
  })
  // node-redis emits 'error' on every failed (re)connection; an EventEmitter without a listener would crash.
  client.on('error', (err: Error) => { onError?.(err) })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`Redis at ${redactUrl(url)} did not answer within ${connectTimeoutMs} ms`)) }, connectTimeoutMs)
  })
  try {
    await Promise.race([client.connect(), timeout])
    return client
  } catch (err) {
    client.destroy()
    throw err
  } finally {
    clearTimeout(timer)
  }
}

function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}

function withTimeout<T> (promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`Redis did not answer within ${ms} ms`)) }, ms)
    promise.then(
      (value) => { clearTimeout(timer); resolve(value) },
      (err: unknown) => { clearTimeout(timer); reject(err) }
    )
  })
}

function isNoScript (err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT')
}

class RedisStore implements RedisSessionStore {
  readonly kind = 'redis' as const
  readonly client: RedisCommandClient
  readonly prefix: string
  readonly #timeoutMs: number
  readonly #close: () => Promise<void>

  constructor (client: RedisCommandClient, prefix: string, timeoutMs: number, close: () => Promise<void>) {
    this.client = client
    this.prefix = prefix
    this.#timeoutMs = timeoutMs
    this.#close = close
  }

  /**
   * Sessions are keyed by their handle (a hash of the id), never by the id: a dump of Redis or a look at its
   * keyspace hands out nothing a browser could present as a session cookie. A user's sessions and their index share
   * one hash tag, the user's tag (which the id carries, see `newSessionId`), so that they sit in one slot of a Redis
   * Cluster and one script can touch them together.
   */
  #sessionKey (tag: string, handle: string): string { return this.prefix + 's:{' + tag + '}' + handle }
  #userKey (userId: string): string { return this.prefix + 'u:{' + userTag(userId) + '}' + userId }

  async #send (args: string[]): Promise<unknown> {
    if (!this.client.isReady) throw new SessionStoreUnavailableError(new Error('Redis client is not connected'))
    try {
      return await withTimeout(this.client.sendCommand(args), this.#timeoutMs)
    } catch (err) {
      throw new SessionStoreUnavailableError(err)
    }
  }

  /** EVALSHA, and EVAL once when Redis lost its script cache (restart, failover, SCRIPT FLUSH). */
  async #run (script: Script, keys: string[], args: string[]): Promise<unknown> {
    if (!this.client.isReady) throw new SessionStoreUnavailableError(new Error('Redis client is not connected'))
    const tail = [String(keys.length), ...keys, ...args]
    try {
      try {
        return await withTimeout(this.client.sendCommand(['EVALSHA', script.sha, ...tail]), this.#timeoutMs)
      } catch (err) {
        if (!isNoScript(err)) throw err
        return await withTimeout(this.client.sendCommand(['EVAL', script.lua, ...tail]), this.#timeoutMs)
      }
    } catch (err) {
      throw new SessionStoreUnavailableError(err)
    }
  }

  /** The session expired and its key is gone; drop it from the user's index too (best effort, rare path). */
  async #pruneIndex (userId: unknown, handle: string): Promise<void> {
    if (typeof userId !== 'string' || userId === '') return
    await this.#send(['ZREM', this.#userKey(userId), handle]).catch(() => {})
  }

  async touch (id: string, now: number, limits: SessionLimits): Promise<StoredSession | null> {
    const handle = sessionHandle(id)
    const reply = await this.#run(TOUCH, [this.#sessionKey(sessionTag(id), handle)],
      [String(now), String(limits.idleMs), String(limits.absoluteMs), String(GRACE_MS)])
    if (reply === null || reply === undefined) return null
    if (!Array.isArray(reply)) {
      await this.#pruneIndex(reply, handle)
      return null
    }
    let userId = ''
    let username = ''
    let createdAt = 0
    let lastSeenAt = 0
    const data: Record<string, string> = Object.create(null)
    for (let i = 0; i < reply.length; i += 2) {
      const field = String(reply[i])
      const value = String(reply[i + 1])
      switch (field) {
        case 'u': userId = value; break
        case 'n': username = value; break
        case 'c': createdAt = Number(value); break
        case 'l': lastSeenAt = Number(value); break
        default:
          if (field.startsWith('d:')) data[field.slice(2)] = value
      }
    }
    return { id, userId, username, createdAt, lastSeenAt: Math.max(lastSeenAt, now), data }
  }

  async create (session: { id: string, userId: string, username: string, data: Readonly<Record<string, string>> },
    now: number, limits: SessionLimits, replaces?: { id: string, userId: string }): Promise<void> {
    const tag = sessionTag(session.id)
    if (tag !== userTag(session.userId)) {
      throw new SessionConfigError('a session id for the Redis store must come from newSessionId(userId) with its own user')
    }
    const handle = sessionHandle(session.id)
    const keys = [this.#sessionKey(tag, handle), this.#userKey(session.userId)]
    let replaced = ''
    if (replaces !== undefined) {
      // The replaced session goes in the same step when it lives in the same slot (the same user, nearly always);
      // another user's is destroyed first, so that there is no moment when both are live.
      if (sessionTag(replaces.id) === tag && userTag(replaces.userId) === tag) {
        replaced = sessionHandle(replaces.id)
        keys.push(this.#sessionKey(tag, replaced), this.#userKey(replaces.userId))
      } else {
        await this.#run(DESTROY, [this.#sessionKey(sessionTag(replaces.id), sessionHandle(replaces.id)), this.#userKey(replaces.userId)],
          [sessionHandle(replaces.id), replaces.userId])
      }
    }
    const t = String(now)
    const args = [t, String(limits.idleMs), String(limits.absoluteMs), String(GRACE_MS), handle, replaced,
      'u', session.userId, 'n', session.username, 'c', t, 'l', t]
    for (const [key, value] of Object.entries(session.data)) args.push('d:' + key, value)
    await this.#run(CREATE, keys, args)
  }

  async update (id: string, changes: { set: Readonly<Record<string, string>>, unset: readonly string[] },
    now: number, limits: SessionLimits): Promise<boolean> {
    const pairs: string[] = []
    for (const [key, value] of Object.entries(changes.set)) pairs.push('d:' + key, value)
    const args = [String(now), String(limits.idleMs), String(limits.absoluteMs), String(pairs.length), ...pairs]
    for (const key of changes.unset) args.push('d:' + key)
    const handle = sessionHandle(id)
    const reply = await this.#run(UPDATE, [this.#sessionKey(sessionTag(id), handle)], args)
    if (reply === 1) return true
    await this.#pruneIndex(reply, handle)
    return false
  }

  async destroy (id: string, userId: string): Promise<boolean> {
    const handle = sessionHandle(id)
    const reply = await this.#run(DESTROY, [this.#sessionKey(sessionTag(id), handle), this.#userKey(userId)], [handle, userId])
    return reply === 1
  }

  async destroyHandle (handle: string, userId: string): Promise<boolean> {
    const reply = await this.#run(DESTROY, [this.#sessionKey(userTag(userId), handle), this.#userKey(userId)], [handle, userId])
    return reply === 1
  }

  async touchHandle (handle: string, userId: string, activityAt: number | null, now: number, limits: SessionLimits): Promise<HandleState | null> {
    const reply = await this.#run(TOUCH_HANDLE, [this.#sessionKey(userTag(userId), handle), this.#userKey(userId)],
      [String(now), String(limits.idleMs), String(limits.absoluteMs), String(GRACE_MS), handle, userId, activityAt === null ? '' : String(Math.floor(activityAt))])
    if (!Array.isArray(reply)) return null
    const createdAt = Number(reply[0])
    const lastSeenAt = Number(reply[1])
    return { createdAt, lastSeenAt, expiresAt: expiresAt(createdAt, lastSeenAt, limits) }
  }

  async #indexed (userId: string): Promise<string[]> {
    const ids = await this.#send(['ZRANGE', this.#userKey(userId), '0', '-1'])
    return Array.isArray(ids) ? ids.map(String) : []
  }

  async listForUser (userId: string, now: number, limits: SessionLimits): Promise<SessionSummary[]> {
    const handles = await this.#indexed(userId)
    if (handles.length === 0) return []
    const reply = await this.#run(LIST, [this.#userKey(userId), ...handles.map((h) => this.#sessionKey(userTag(userId), h))],
      [String(now), String(limits.idleMs), String(limits.absoluteMs), userId, ...handles])
    const flat = Array.isArray(reply) ? reply.map(String) : []
    const list: SessionSummary[] = []
    for (let i = 0; i + 3 < flat.length; i += 4) {
      const createdAt = Number(flat[i + 2])
      const lastSeenAt = Number(flat[i + 3])
      list.push({
        handle: flat[i] as string,
        userId,
        username: flat[i + 1] as string,
        createdAt,
        lastSeenAt,
        expiresAt: expiresAt(createdAt, lastSeenAt, limits)
      })
    }
    return list.sort(bySessionAge)
  }

  async destroyAllForUser (userId: string, now: number, limits: SessionLimits): Promise<number> {
    const handles = await this.#indexed(userId)
    if (handles.length === 0) return 0
    const reply = await this.#run(DESTROY_ALL, [this.#userKey(userId), ...handles.map((h) => this.#sessionKey(userTag(userId), h))],
      [String(now), String(limits.idleMs), String(limits.absoluteMs), userId, ...handles])
    return Number(reply)
  }

  async close (): Promise<void> {
    await this.#close()
  }
}
