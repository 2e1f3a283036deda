import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { TimelineItem } from '../common/messages.js'
import { LiveStreams, type EndReason, type LiveStream } from './live-streams.js'
import { createMemoryStreamRegistry, createRedisStreamRegistry } from './stream-registry.js'
import type { AgentChange, ConversationChange, LiveMessage, MentionChange, QuickRepliesChange } from './plugin.js'

export { MESSAGES_CHANNEL } from './plugin.js'

export interface EventsRoutesOptions {
  /** How often the open streams check their sessions, all together (a logout at A ends them within this). */
  sessionCheckMs?: number
  heartbeatMs?: number
  /** At most this many missed messages are replayed on reconnect; more means "reload". */
  catchUpLimit?: number
  /** Bounds on live streams (see LiveStreamLimits). */
  limits?: Partial<LiveStreamLimits>
  /** Key prefix of the console's Redis namespace (streams per agent are counted there across instances). */
  redisPrefix?: string
}

export interface LiveStreamLimits {
  /** Streams an agent may have open at once, over all instances: a newer one closes the oldest (default 5). */
  perAgent: number
  /** A stream whose client does not read is closed when this much waits to be sent (default 1 MiB)… */
  maxBufferedBytes: number
  /** …or when what waits is not taken within this time (default 30 s). */
  drainTimeoutMs: number
}

export const DEFAULT_STREAM_LIMITS: LiveStreamLimits = { perAgent: 5, maxBufferedBytes: 1024 * 1024, drainTimeoutMs: 30_000 }

/** Streams one instance evicted that are open on another (a newer tab of the same agent took their place). */
export const STREAMS_CHANNEL = 'kefu:console:streams'

/**
 * An event as the bytes every stream it goes to is sent, made once per process however many streams that is (a team
 * of 50 had it serialized, then encoded as UTF-8, 50 times): keyed by the object the live updates hand every stream
 * alike.
 */
const frames = new WeakMap<object, Buffer>()
function frameOf (key: object, event: string, data: () => unknown, id?: string): Buffer {
  let frame = frames.get(key)
  if (frame === undefined) {
    frame = Buffer.from(sseFrame(event, JSON.stringify(data()), id))
    frames.set(key, frame)
  }
  return frame
}

function sseFrame (event: string, json: string, id?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${json}\n\n`
}

/**
 * GET /api/events — Server-Sent Events: each stored push of the agent's mini programs (`event: message`, `id:` its
 * customer_message id, with its conversation's state), every reply status change (`event: outbound`), every change
 * colleagues make to a conversation (`event: conversation`: assignment, status, snooze, notes, tags), colleagues'
 * availability (`event: agent`), the agent's own mentions (`event: mention`) and quick-reply changes (`event:
 * quick-replies`). A reconnecting EventSource sends Last-Event-ID and gets the messages it missed first. The stream is
 * never activity (an open tab is not a person at work): every `sessionCheckMs` one check of all open streams looks,
 * without extending anything, whether the B sessions and the A logins behind them are live, and ends a stream with
 * `event: ended` when either is not; it rereads the agents' mini programs and narrows (or widens) what a stream sends,
 * with `event: apps`, when an administrator changed them.
 *
 * Bounded: an agent has at most `limits.perAgent` streams open (the oldest ends with `event: replaced`, and the page
 * does not reconnect), and a stream whose client stops reading is closed once `limits.maxBufferedBytes` wait or
 * nothing drains for `limits.drainTimeoutMs` (the browser reconnects and catches up). When the instance closes (after
 * DRAIN_MS), every stream ends with `event: reconnect`, and EventSource reconnects, to another instance.
 */
export default async function eventsRoutes (fastify: FastifyInstance, opts: EventsRoutesOptions): Promise<void> {
  const store = fastify.consoleStore
  const live = fastify.live.events
  const sessionCheckMs = opts.sessionCheckMs ?? 4000
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const catchUpLimit = opts.catchUpLimit ?? 200
  const limits = { ...DEFAULT_STREAM_LIMITS, ...opts.limits }
  const openStreams = fastify.metrics.gauge('kefu_console_open_streams', 'Live streams (GET /api/events) open now')
  const closedStreams = fastify.metrics.counter('kefu_console_streams_closed_total',
    'Live streams closed by the console, by reason: ended (signed out), unavailable, replaced (over the per-agent cap), slow (the client did not read), reconnect (the instance closed)', ['reason'])

  const registry = fastify.redis === null
    ? createMemoryStreamRegistry(limits.perAgent)
    // A stream whose instance stopped its heartbeats (it crashed) stops counting after this.
    : createRedisStreamRegistry(fastify.redis, (opts.redisPrefix ?? 'kefu:console:') + 'streams:', limits.perAgent, Math.max(60_000, 10 * sessionCheckMs))
  const streams = new LiveStreams({
    registry,
    announceEvicted: (ids) => fastify.bus.publish(STREAMS_CHANNEL, JSON.stringify({ close: ids })),
    // automatic assignment looks 90 s back
    connectedMarkMs: 30_000,
    log: fastify.log,
    checks: {
      sessionLive: async (s) => await fastify.kefuSessions.touchHandle(s.handle, s.userId, null) !== null,
      loginLive: async (user) => (await fastify.sso.loginState(user)).active,
      endSession: async (s) => { await fastify.kefuSessions.destroyHandle(s.handle, s.userId) },
      agentApps: (usernames) => fastify.agentAppsOf(usernames),
      markConnected: async (usernames) => {
        await fastify.prisma.$executeRaw`UPDATE agent SET connected_at = clock_timestamp() WHERE username = ANY(${usernames}::text[])`
      }
    }
  })
  const unsubscribe = await fastify.bus.subscribe(STREAMS_CHANNEL, (m) => {
    try {
      const ids = (JSON.parse(m) as { close?: unknown }).close
      if (Array.isArray(ids)) streams.closeHere(ids.filter((id): id is string => typeof id === 'string'))
    } catch {}
  })
  const checker = setInterval(() => { streams.checkAll().catch((err: Error) => { fastify.log.error({ err }, 'live stream check failed') }) }, sessionCheckMs)
  checker.unref()
  live.once('close', () => { streams.closeAll() })
  fastify.addHook('onClose', async () => {
    clearInterval(checker)
    await unsubscribe().catch(() => {})
  })

  fastify.get<{ Querystring: { last_id?: string } }>('/api/events', {
    config: { ssoActivity: false },
    schema: { querystring: { type: 'object', properties: { last_id: { type: 'string', pattern: '^[0-9]{1,19}$' } } } }
  }, async function events (request, reply) {
    const agent = await request.agent()
    const user = await request.ssoUser()
    const session = request.kefuSession
    const userId = session.user?.id
    const handle = session.handle
    let apps = new Set(agent.apps)
    const header = request.headers['last-event-id']
    const lastId = typeof header === 'string' && /^[0-9]{1,19}$/.test(header) ? header : request.query.last_id

    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    let open = true
    openStreams.inc()

    // Backpressure: what the client does not take waits in this process. A client that stops reading (a suspended
    // laptop, a stuck proxy, a script) is cut off before that grows: a browser reconnects and catches up.
    let draining: NodeJS.Timeout | undefined
    const onDrain = (): void => {
      clearTimeout(draining)
      draining = undefined
    }
    const write = (chunk: string | Buffer): void => {
      if (!open || res.write(chunk)) return
      if (res.writableLength > limits.maxBufferedBytes) return cutOff()
      if (draining === undefined) {
        draining = setTimeout(cutOff, limits.drainTimeoutMs)
        res.once('drain', onDrain)
      }
    }
    function cutOff (): void {
      if (!open) return
      request.log.info({ username: agent.username, buffered: res.writableLength }, 'live stream closed: the client does not read')
      closedStreams.inc({ reason: 'slow' })
      end()
      res.destroy()
    }
    const send = (event: string, data: unknown, id?: string): void => { write(sseFrame(event, JSON.stringify(data), id)) }
    write('retry: 2000\n\n')

    // Live updates that arrive while catching up wait in order behind it.
    let chain: Promise<void> = Promise.resolve()
    const enqueue = (job: () => Promise<void>): void => {
      chain = chain.then(job).catch((err: Error) => { request.log.warn({ err: err.message }, 'live update failed') })
    }
    const later = (fn: () => void): void => { enqueue(async () => { fn() }) }
    // A message the catch-up replayed may also be announced live a moment later (its announcement was on its way when
    // the stream opened): each is sent once.
    const replayed = new Set<string>()
    const onMessages = (list: LiveMessage[]): void => {
      const mine = list.filter((m) => apps.has(m.item.appId))
      if (mine.length > 0) {
        later(() => { for (const m of mine) if (!replayed.has(m.item.id)) write(frameOf(m, 'message', () => ({ ...m.item, conversation: m.conversation }), m.item.id)) })
      }
    }
    const onOutbound = (items: TimelineItem[]): void => {
      const mine = items.filter((item) => apps.has(item.appId))
      if (mine.length > 0) later(() => { for (const item of mine) write(frameOf(item, 'outbound', () => item)) })
    }
    const onConversation = (change: ConversationChange): void => {
      if (apps.has(change.conversation.appId)) later(() => { write(frameOf(change, 'conversation', () => change)) })
    }
    const onAgent = (change: AgentChange): void => {
      const shared = change.apps.filter((a) => apps.has(a))
      if (shared.length > 0 || change.username === agent.username) later(() => { send('agent', { ...change, apps: shared }) })
    }
    const onQuickReplies = (change: QuickRepliesChange): void => {
      if ((change.appId !== undefined && apps.has(change.appId)) || change.username === agent.username) later(() => { send('quick-replies', change) })
    }
    // Mentions are one agent's: their consoles alone hear of them.
    const onMention = (change: MentionChange): void => {
      if (change.username === agent.username && (change.appId === undefined || apps.has(change.appId))) later(() => { send('mention', change) })
    }
    live.on('messages', onMessages)
    live.on('outbound', onOutbound)
    live.on('conversation', onConversation)
    live.on('agent', onAgent)
    live.on('quick-replies', onQuickReplies)
    live.on('mention', onMention)

    const stream: LiveStream = {
      id: randomBytes(12).toString('base64url'),
      username: agent.username,
      user: user!,
      session: { handle: handle ?? '', userId: userId ?? '' },
      get open () { return open },
      setApps (now) {
        if (now.length === apps.size && now.every((a) => apps.has(a))) return
        apps = new Set(now)
        request.log.info({ username: agent.username, apps: now }, 'live stream: the agent\'s mini programs changed')
        send('apps', { apps: now })
      },
      end
    }

    enqueue(async () => {
      if (!open) return
      if (userId === undefined || handle === null || user === null) return end('ended')
      try {
        await streams.add(stream)
      } catch (err) {
        request.log.warn({ err: (err as Error).message }, 'live stream not counted')
        return end('unavailable')
      }
      if (!open) return
      if (lastId === undefined) {
        send('hello', { username: agent.username, apps: agent.apps }, await store.latestInboundId())
        return
      }
      const missed = await store.inboundAfter(lastId, agent.apps, catchUpLimit + 1)
      if (missed.length > catchUpLimit) {
        send('resync', { reason: 'too many missed messages' }, missed.at(-1)!.id)
        return
      }
      // Those that became visible after the one the stream resumes from, with a smaller id, first and without an
      // event id (the browser's Last-Event-ID stays where it was); the page keeps one of each.
      const late = await store.inboundLateBefore(lastId, agent.apps, catchUpLimit)
      const states = new Map((await store.states([...late, ...missed])).map((s) => [`${s.appId}\u0000${s.openid}`, s]))
      for (const item of late) send('message', { ...item, conversation: states.get(`${item.appId}\u0000${item.openid}`) ?? null })
      for (const item of missed) {
        replayed.add(item.id)
        send('message', { ...item, conversation: states.get(`${item.appId}\u0000${item.openid}`) ?? null }, item.id)
      }
    })

    const heartbeat = setInterval(() => { write(': ping\n\n') }, heartbeatMs)

    function end (reason?: EndReason): void {
      if (!open) return
      if (reason !== undefined) {
        send(reason, reason === 'replaced' ? { limit: limits.perAgent } : {})
        closedStreams.inc({ reason })
      }
      open = false
      openStreams.dec()
      clearInterval(heartbeat)
      clearTimeout(draining)
      res.off('drain', onDrain)
      live.off('messages', onMessages)
      live.off('outbound', onOutbound)
      live.off('conversation', onConversation)
      live.off('agent', onAgent)
      live.off('quick-replies', onQuickReplies)
      live.off('mention', onMention)
      streams.remove(stream)
      res.end()
      // A client that does not read holds the last words too: they are dropped after the same wait.
      if (!res.writableFinished) {
        const dropping = setTimeout(() => { res.destroy() }, limits.drainTimeoutMs)
        dropping.unref()
        res.once('close', () => { clearTimeout(dropping) })
        res.once('finish', () => { clearTimeout(dropping) })
      }
    }
    request.raw.on('close', () => { end() })
  })
}
