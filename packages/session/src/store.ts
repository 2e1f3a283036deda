/** Idle and absolute limits in milliseconds, as the plugin passes them to a store. */
export interface SessionLimits {
  readonly idleMs: number
  readonly absoluteMs: number
}

/** A live session as a store returns it after read + check + touch. `data` values are JSON text. */
export interface StoredSession {
  readonly id: string
  readonly userId: string
  readonly username: string
  readonly createdAt: number
  /** The touch this read made: `max(previous lastSeenAt, now)`. */
  readonly lastSeenAt: number
  readonly data: Readonly<Record<string, string>>
}

export interface NewSession {
  readonly id: string
  readonly userId: string
  readonly username: string
  /** JSON text per key. */
  readonly data: Readonly<Record<string, string>>
}

/** Partial write: only these keys change; other keys, written by concurrent requests, are kept. */
export interface SessionChanges {
  /** key → JSON text */
  readonly set: Readonly<Record<string, string>>
  readonly unset: readonly string[]
}

/** One live session of a user, for "your devices" pages. `handle` is not the session id and cannot be used as one. */
export interface SessionSummary {
  readonly handle: string
  readonly userId: string
  readonly username: string
  readonly createdAt: number
  readonly lastSeenAt: number
  /** The instant the session ends if it is not used again: min(lastSeenAt + idle, createdAt + absolute). */
  readonly expiresAt: number
}

/** A live session seen through its handle: enough to tell when it ends. */
export interface HandleState {
  readonly createdAt: number
  readonly lastSeenAt: number
  /** min(lastSeenAt + idle, createdAt + absolute). */
  readonly expiresAt: number
}

/**
 * A namespace of sessions (one app). Every method that decides expiry takes `now` and the limits from the caller,
 * so there is one clock (the app's) and the store never consults its own.
 * Failures to reach the backing service reject with `SessionStoreUnavailableError`.
 */
export interface SessionStore {
  readonly kind: 'redis' | 'memory'
  readonly prefix: string
  /** Read + check + touch in one step. Expired sessions are deleted and read as `null`. */
  touch (id: string, now: number, limits: SessionLimits): Promise<StoredSession | null>
  /** Create a session (createdAt = lastSeenAt = now), add it to the user's index, and destroy `replaces` in the same step. */
  create (session: NewSession, now: number, limits: SessionLimits, replaces?: { id: string, userId: string }): Promise<void>
  /** Partial write that succeeds only while the session is live; `false` when it is gone (never recreated). */
  update (id: string, changes: SessionChanges, now: number, limits: SessionLimits): Promise<boolean>
  /** `true` when a session was deleted. */
  destroy (id: string, userId: string): Promise<boolean>
  /** Like `destroy`, for a session known only by its handle (another site's report, a revocation). */
  destroyHandle (handle: string, userId: string): Promise<boolean>
  /**
   * Checks a session known only by its handle, in one step: `null` unless it is live at `now` and belongs to
   * `userId` (an expired one is deleted). With `activityAt`, its last-seen moves forward to `min(activityAt, now)`
   * when that is later: activity reported from elsewhere (a B site) — never backward, never past now, so never
   * past the absolute deadline. With `null` it only looks (a liveness check is not activity).
   */
  touchHandle (handle: string, userId: string, activityAt: number | null, now: number, limits: SessionLimits): Promise<HandleState | null>
  /** Live sessions of a user; dead index entries are pruned on the way. */
  listForUser (userId: string, now: number, limits: SessionLimits): Promise<SessionSummary[]>
  /** Destroys every session of the user; resolves to how many of them were live. */
  destroyAllForUser (userId: string, now: number, limits: SessionLimits): Promise<number>
  /** Releases what the store opened itself (a Redis client it created from a URL). */
  close (): Promise<void>
}

/** Oldest session first; both stores list in this order. */
export function bySessionAge (a: SessionSummary, b: SessionSummary): number {
  return a.createdAt - b.createdAt || (a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0)
}
