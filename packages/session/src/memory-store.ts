import { expiresAt, isLive } from './expiry.js'
import { sessionHandle } from './id.js'
import { bySessionAge, type NewSession, type SessionChanges, type SessionLimits, type SessionStore, type SessionSummary, type StoredSession } from './store.js'

interface Entry {
  readonly userId: string
  readonly username: string
  readonly createdAt: number
  lastSeenAt: number
  readonly data: Map<string, string>
}

interface Namespace {
  /** Insertion order is touch order, so the front holds the longest-idle sessions (swept first). */
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

  function unindex (userId: string, id: string): void {
    const ids = users.get(userId)
    if (ids === undefined) return
    ids.delete(id)
    if (ids.size === 0) users.delete(userId)
  }

  function remove (id: string, entry: Entry): void {
    sessions.delete(id)
    unindex(entry.userId, id)
  }

  function sweep (now: number, limits: SessionLimits): void {
    let n = 0
    for (const [id, entry] of sessions) {
      if (n++ >= SWEEP_BATCH || now - entry.lastSeenAt < limits.idleMs) return
      remove(id, entry)
    }
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
      const entry = sessions.get(id)
      if (entry === undefined) return null
      if (!isLive(entry.createdAt, entry.lastSeenAt, now, limits)) {
        remove(id, entry)
        return null
      }
      if (now > entry.lastSeenAt) {
        entry.lastSeenAt = now
        sessions.delete(id)
        sessions.set(id, entry)
      }
      sweep(now, limits)
      return snapshot(id, entry)
    },

    async create (session: NewSession, now, limits, replaces) {
      if (sessions.has(session.id)) throw new Error('session id collision')
      sessions.set(session.id, {
        userId: session.userId,
        username: session.username,
        createdAt: now,
        lastSeenAt: now,
        data: new Map(Object.entries(session.data))
      })
      let ids = users.get(session.userId)
      if (ids === undefined) {
        ids = new Set()
        users.set(session.userId, ids)
      }
      for (const other of ids) {
        const e = sessions.get(other)
        if (e === undefined || now - e.createdAt >= limits.absoluteMs) ids.delete(other)
      }
      ids.add(session.id)
      if (replaces !== undefined) {
        sessions.delete(replaces.id)
        unindex(replaces.userId, replaces.id)
      }
      sweep(now, limits)
    },

    async update (id, changes: SessionChanges, now, limits) {
      const entry = sessions.get(id)
      if (entry === undefined) return false
      if (!isLive(entry.createdAt, entry.lastSeenAt, now, limits)) {
        remove(id, entry)
        return false
      }
      for (const [key, value] of Object.entries(changes.set)) entry.data.set(key, value)
      for (const key of changes.unset) entry.data.delete(key)
      return true
    },

    async destroy (id, userId) {
      const existed = sessions.delete(id)
      unindex(userId, id)
      return existed
    },

    async listForUser (userId, now, limits) {
      const ids = users.get(userId)
      if (ids === undefined) return []
      const list: SessionSummary[] = []
      for (const id of [...ids]) {
        const e = sessions.get(id)
        if (e === undefined || e.userId !== userId) {
          unindex(userId, id)
        } else if (!isLive(e.createdAt, e.lastSeenAt, now, limits)) {
          remove(id, e)
        } else {
          list.push({
            handle: sessionHandle(id),
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
      const ids = users.get(userId)
      if (ids === undefined) return 0
      let live = 0
      for (const id of [...ids]) {
        const e = sessions.get(id)
        if (e !== undefined && e.userId === userId) {
          if (isLive(e.createdAt, e.lastSeenAt, now, limits)) live++
          sessions.delete(id)
        }
        unindex(userId, id)
      }
      return live
    },

    async close () {}
  }
}
