import type { FastifyBaseLogger } from 'fastify'
import type { SsoUser } from '@kefu/sso-client'
import type { StreamRegistry } from './stream-registry.js'

/**
 * Why a stream ended, sent as its last event: signed out, the checks could not be made, a newer tab took its place,
 * this instance is closing (the browser's EventSource reconnects by itself, through the load balancer, to another).
 */
export type EndReason = 'ended' | 'unavailable' | 'replaced' | 'reconnect'

/** One open GET /api/events on this instance. */
export interface LiveStream {
  readonly id: string
  readonly username: string
  /** The A login behind it. */
  readonly user: SsoUser
  /** The B session behind it. */
  readonly session: { handle: string, userId: string }
  readonly open: boolean
  /** The agent's mini programs now: the stream sends what they cover. */
  setApps: (apps: string[]) => void
  end: (reason?: EndReason) => void
}

/** What the checks ask, each for many streams at once. */
export interface StreamChecks {
  /** The B session is live (looked at, not extended). */
  sessionLive: (session: { handle: string, userId: string }) => Promise<boolean>
  /** The A login is live (not counted as activity). */
  loginLive: (user: SsoUser) => Promise<boolean>
  /** Ends a B session whose A login ended. */
  endSession: (session: { handle: string, userId: string }) => Promise<void>
  /** The mini programs each agent may see now. */
  agentApps: (usernames: string[]) => Promise<Map<string, string[]>>
  /** Records that these agents have a console open (automatic assignment goes only to them). */
  markConnected: (usernames: string[]) => Promise<void>
}

export interface LiveStreamsOptions {
  registry: StreamRegistry
  checks: StreamChecks
  /** Tells the other instances to close streams this one evicted (the bus). */
  announceEvicted: (ids: string[]) => Promise<void>
  /** How often an agent's `connected_at` is refreshed while a stream is open. */
  connectedMarkMs: number
  log: FastifyBaseLogger
  now?: () => number
}

function groupBy<T> (items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = groups.get(k)
    if (list === undefined) groups.set(k, [item])
    else list.push(item)
  }
  return [...groups.values()]
}

function endAll (streams: LiveStream[], reason: EndReason): void {
  for (const s of streams) s.end(reason)
}

/**
 * The live streams open on this instance. One check (`checkAll`, on one timer) looks at all of them together: each
 * B session once, each A login once, the agents' mini programs in one query, and the per-agent count in one round
 * trip — the cost of a check grows with the people signed in, not with the tabs they keep open.
 */
export class LiveStreams {
  readonly #streams = new Map<string, { stream: LiveStream, counted: boolean }>()
  readonly #markedAt = new Map<string, number>()
  readonly #opts: LiveStreamsOptions
  readonly #now: () => number
  #checking = false

  constructor (opts: LiveStreamsOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
  }

  get size (): number { return this.#streams.size }

  /** Counts a new stream, closing the agent's oldest beyond the cap, and marks the agent connected. */
  async add (stream: LiveStream): Promise<void> {
    const entry = { stream, counted: false }
    this.#streams.set(stream.id, entry)
    const evicted = await this.#opts.registry.open(stream.username, stream.id)
    entry.counted = true
    await this.evict(evicted)
    await this.#markConnected([stream.username]).catch((err: Error) => { this.#opts.log.warn({ err: err.message }, 'console connection not recorded') })
  }

  /** A stream ended (by itself, by a check, by its client). */
  remove (stream: LiveStream): void {
    if (this.#streams.get(stream.id)?.stream !== stream) return
    this.#streams.delete(stream.id)
    if (![...this.#streams.values()].some((e) => e.stream.username === stream.username)) this.#markedAt.delete(stream.username)
    this.#opts.registry.close(stream.username, stream.id).catch((err: Error) => { this.#opts.log.warn({ err: err.message }, 'closed live stream not uncounted') })
  }

  /** Closes these streams here (a newer one of the agent took their place); those elsewhere are told by the bus. */
  async evict (ids: string[]): Promise<void> {
    const elsewhere = ids.filter((id) => !this.#streams.has(id))
    this.closeHere(ids)
    if (elsewhere.length > 0) await this.#opts.announceEvicted(elsewhere).catch((err: Error) => { this.#opts.log.warn({ err: err.message }, 'stream eviction not announced') })
  }

  /** Streams of this instance that another evicted. */
  closeHere (ids: string[]): void {
    for (const id of ids) this.#streams.get(id)?.stream.end('replaced')
  }

  /** Shutdown: every stream ends with `event: reconnect` (the browser reconnects, to another instance). */
  closeAll (): void {
    for (const { stream } of [...this.#streams.values()]) stream.end('reconnect')
  }

  /** One check of every open stream; a check still running when the next is due is not doubled. */
  async checkAll (): Promise<void> {
    if (this.#checking || this.#streams.size === 0) return
    this.#checking = true
    try {
      await this.#check()
    } finally {
      this.#checking = false
    }
  }

  async #check (): Promise<void> {
    const { checks, registry, log } = this.#opts
    const stillOpen = (list: LiveStream[]): LiveStream[] => list.filter((s) => s.open)
    // Any failure: the session store, A or the database is away, and nobody is treated as signed in.
    const each = async (groups: LiveStream[][], fn: (list: LiveStream[]) => Promise<void>): Promise<void> => {
      await Promise.all(groups.map((list) => fn(list).catch(() => { endAll(list, 'unavailable') })))
    }
    let streams = [...this.#streams.values()].map((e) => e.stream)
    // Streams evicted by another instance whose announcement did not arrive; asked beside the sessions, in the same
    // round trip to Redis.
    const counted = [...this.#streams.values()].filter((e) => e.counted).map((e) => e.stream)
    const byAgent = new Map(groupBy(counted, (s) => s.username).map((list) => [list[0]!.username, list.map((s) => s.id)]))
    const gone = byAgent.size === 0 ? Promise.resolve([]) : registry.refresh(byAgent)
    gone.catch(() => {})

    await each(groupBy(streams, (s) => s.session.handle), async (list) => {
      if (!await checks.sessionLive(list[0]!.session)) endAll(list, 'ended')
    })
    streams = stillOpen(streams)
    await each(groupBy(streams, (s) => `${s.user.id}\u0000${s.user.sid}`), async (list) => {
      if (await checks.loginLive(list[0]!.user)) return
      for (const [s] of groupBy(list, (x) => x.session.handle)) await checks.endSession(s!.session)
      endAll(list, 'ended')
    })
    streams = stillOpen(streams)
    if (streams.length > 0) {
      await each([streams], async (list) => {
        const usernames = [...new Set(list.map((s) => s.username))]
        const apps = await checks.agentApps(usernames)
        for (const s of list) s.setApps(apps.get(s.username) ?? [])
        await this.#markConnected(usernames)
      })
    }

    try {
      this.closeHere(await gone)
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'live streams not counted')
    }
  }

  async #markConnected (usernames: string[]): Promise<void> {
    const t = this.#now()
    const due = usernames.filter((u) => t - (this.#markedAt.get(u) ?? -Infinity) >= this.#opts.connectedMarkMs)
    if (due.length === 0) return
    for (const u of due) this.#markedAt.set(u, t)
    await this.#opts.checks.markConnected(due)
  }
}
