import { expiresAt, isLive } from './expiry.js'
import { sessionHandle } from './id.js'
import { bySessionAge, type HandleState, type NewSession, type SessionChanges, type SessionLimits, type SessionStore, type SessionSummary, type StoredSession } from './store.js'

interface Entry {
  readonly userId: string
  readonly username: string
  readonly createdAt: number
  lastSeenAt: number
  readonly data: Map<string, string>
}

interface Namespace {
  /**
   * By handle, like the Redis store (no session id is kept). Insertion order is touch order, so the front holds the
   * longest-idle sessions (swept first).
   */
  readonly sessions: Map<string, Entry>
  readonly users: Map<string, Set<string>>
}

/** How many idle-dead sessions a touch or create reclaims at most: bounded work per request, no timers. */
const SWEEP_BATCH = 32

/**
 * Process memory that several memory stores may share, one namespace per prefix, the way several apps share one
 * Redis. Mostly for tests and single-process setups; sessions do not survive a restart.
 */
export class MemoryBackend {
  readonly #namespaces = new Map<string, Namespace>()

  namespace (prefix: string): Namespace {
    let ns = this.#namespaces.get(prefix)
    if (ns === undefined) {
      ns = { sessions: new Map(), users: new Map() }
      this.#namespaces.set(prefix, ns)
    }
    return ns
  }
}

export interface MemoryStoreOptions {
  /** Namespace inside the backend; defaults to `kefu:session:`. */
  prefix?: string
  /** Share one backend between stores (apps) to mirror a shared Redis; defaults to a private one. */
  backend?: MemoryBackend
}

/** The in-process store: the same contract and expiry decision (`isLive`) as the Redis store. */
export function createMemoryStore (options: MemoryStoreOptions = {}): SessionStore {
  const prefix = options.prefix ?? 'kefu:session:'
  const ns = (options.backend ?? new MemoryBackend()).namespace(prefix)
  const { sessions, users } = ns

  function unindex (userId: string, handle: string): void {
    const handles = users.get(userId)
    if (handles === undefined) return
    handles.delete(handle)
    if (handles.size === 0) users.delete(userId)
  }

  function remove (handle: string, entry: Entry): void {
    sessions.delete(handle)
    unindex(entry.userId, handle)
  }

  /** The session's entry while it is live; a session found ended is removed, and is as gone as an unknown one. */
  function live (handle: string, now: number, limits: SessionLimits): Entry | undefined {
    const entry = sessions.get(handle)
    if (entry === undefined) return undefined
    if (isLive(entry.createdAt, entry.lastSeenAt, now, limits)) return entry
    remove(handle, entry)
    return undefined
  }

  function sweep (now: number, limits: SessionLimits): void {
    let n = 0
    for (const [handle, entry] of sessions) {
      if (n++ >= SWEEP_BATCH || now - entry.lastSeenAt < limits.idleMs) return
      remove(handle, entry)
    }
  }

  function destroyHandle (handle: string, userId: string): boolean {
    const entry = sessions.get(handle)
    const existed = entry !== undefined && entry.userId === userId
    if (existed) sessions.delete(handle)
    unindex(userId, handle)
    return existed
  }

  /** Moves a session to the back of the touch order. */
  function seen (handle: string, entry: Entry, at: number): void {
    entry.lastSeenAt = at
    sessions.delete(handle)
    sessions.set(handle, entry)
  }

  function snapshot (id: string, e: Entry): StoredSession {
    return {
      id,
      userId: e.userId,
      username: e.username,
      createdAt: e.createdAt,
      lastSeenAt: e.lastSeenAt,
      data: Object.fromEntries(e.data)
    }
  }

  return {
    kind: 'memory',
    prefix,

    async touch (id, now, limits) {
      const handle = sessionHandle(id)
      const entry = live(handle, now, limits)
      if (entry === undefined) return null
      if (now > entry.lastSeenAt) seen(handle, entry, now)
      sweep(now, limits)
      return snapshot(id, entry)
    },

    async touchHandle (handle, userId, activityAt, now, limits): Promise<HandleState | null> {
      const known = sessions.get(handle)
      if (known === undefined || known.userId !== userId) return null
      const entry = live(handle, now, limits)
      if (entry === undefined) return null
      if (activityAt !== null) {
        const at = Math.min(Math.floor(activityAt), now)
        if (at > entry.lastSeenAt) seen(handle, entry, at)
      }
      return { createdAt: entry.createdAt, lastSeenAt: entry.lastSeenAt, expiresAt: expiresAt(entry.createdAt, entry.lastSeenAt, limits) }
    },

    async create (session: NewSession, now, limits, replaces) {
      const handle = sessionHandle(session.id)
      if (sessions.has(handle)) throw new Error('session id collision')
      sessions.set(handle, {
        userId: session.userId,
        username: session.username,
        createdAt: now,
        lastSeenAt: now,
        data: new Map(Object.entries(session.data))
      })
      let handles = users.get(session.userId)
      if (handles === undefined) {
        handles = new Set()
        users.set(session.userId, handles)
      }
      for (const other of handles) {
        const e = sessions.get(other)
        if (e === undefined || now - e.createdAt >= limits.absoluteMs) handles.delete(other)
      }
      handles.add(handle)
      if (replaces !== undefined) {
        const replaced = sessionHandle(replaces.id)
        sessions.delete(replaced)
        unindex(replaces.userId, replaced)
      }
      sweep(now, limits)
    },

    async update (id, changes: SessionChanges, now, limits) {
      const entry = live(sessionHandle(id), now, limits)
      if (entry === undefined) return false
      for (const [key, value] of Object.entries(changes.set)) entry.data.set(key, value)
      for (const key of changes.unset) entry.data.delete(key)
      return true
    },

    async destroy (id, userId) {
      return destroyHandle(sessionHandle(id), userId)
    },

    async destroyHandle (handle, userId) {
      return destroyHandle(handle, userId)
    },

    async listForUser (userId, now, limits) {
      const handles = users.get(userId)
      if (handles === undefined) return []
      const list: SessionSummary[] = []
      for (const handle of [...handles]) {
        const e = sessions.get(handle)
        if (e === undefined || e.userId !== userId) {
          unindex(userId, handle)
        } else if (!isLive(e.createdAt, e.lastSeenAt, now, limits)) {
          remove(handle, e)
        } else {
          list.push({
            handle,
            userId,
            username: e.username,
            createdAt: e.createdAt,
            lastSeenAt: e.lastSeenAt,
            expiresAt: expiresAt(e.createdAt, e.lastSeenAt, limits)
          })
        }
      }
      return list.sort(bySessionAge)
    },

    async destroyAllForUser (userId, now, limits) {
      const handles = users.get(userId)
      if (handles === undefined) return 0
      let live = 0
      for (const handle of [...handles]) {
        const e = sessions.get(handle)
        if (e !== undefined && e.userId === userId) {
          if (isLive(e.createdAt, e.lastSeenAt, now, limits)) live++
          sessions.delete(handle)
        }
        unindex(userId, handle)
      }
      return live
    },

    async close () {}
  }
}
