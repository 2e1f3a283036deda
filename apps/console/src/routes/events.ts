import type { FastifyInstance } from 'fastify'
import type { TimelineItem } from '../lib/messages.js'
import type { AgentChange, ConversationChange, LiveMessage, QuickRepliesChange } from '../plugins/live.js'

export { MESSAGES_CHANNEL } from '../plugins/live.js'

export interface EventsRoutesOptions {
  /** How often an open stream checks that its session is still live (a logout at A ends it within this). */
  sessionCheckMs?: number
  heartbeatMs?: number
  /** At most this many missed messages are replayed on reconnect; more means "reload". */
  catchUpLimit?: number
}

/**
 * GET /api/events — Server-Sent Events: each stored push of the agent's mini programs (`event: message`, `id:` its
 * customer_message id, with its conversation's state), every reply status change (`event: outbound`), every change
 * colleagues make to a conversation (`event: conversation`: assignment, status, snooze, notes, tags), colleagues'
 * availability (`event: agent`) and quick-reply changes (`event: quick-replies`). A reconnecting EventSource sends
 * Last-Event-ID and gets the messages it missed first. The stream is never activity (an open tab is not a person at
 * work): every `sessionCheckMs` it checks, without extending anything, that the B session and the A login behind it
 * are live, and ends with `event: ended` when either is not; it rereads the agent's mini programs and narrows (or
 * widens) what it sends, with `event: apps`, when an administrator changed them.
 */
export default async function eventsRoutes (fastify: FastifyInstance, opts: EventsRoutesOptions): Promise<void> {
  const store = fastify.consoleStore
  const live = fastify.live.events
  const sessionCheckMs = opts.sessionCheckMs ?? 4000
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const catchUpLimit = opts.catchUpLimit ?? 200
  /** How often an open stream refreshes `agent.connected_at` (automatic assignment looks 90 s back). */
  const CONNECTED_MARK_MS = 30_000
  const openStreams = fastify.metrics.gauge('kefu_console_open_streams', 'Live streams (GET /api/events) open now')

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
    const write = (chunk: string): void => { if (open) res.write(chunk) }
    const send = (event: string, data: unknown, id?: string): void => {
      write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    }
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
        later(() => { for (const m of mine) if (!replayed.has(m.item.id)) send('message', { ...m.item, conversation: m.conversation }, m.item.id) })
      }
    }
    const onOutbound = (items: TimelineItem[]): void => {
      const mine = items.filter((item) => apps.has(item.appId))
      if (mine.length > 0) later(() => { for (const item of mine) send('outbound', item) })
    }
    const onConversation = (change: ConversationChange): void => {
      if (apps.has(change.conversation.appId)) later(() => { send('conversation', change) })
    }
    const onAgent = (change: AgentChange): void => {
      const shared = change.apps.filter((a) => apps.has(a))
      if (shared.length > 0 || change.username === agent.username) later(() => { send('agent', { ...change, apps: shared }) })
    }
    const onQuickReplies = (change: QuickRepliesChange): void => {
      if ((change.appId !== undefined && apps.has(change.appId)) || change.username === agent.username) later(() => { send('quick-replies', change) })
    }
    live.on('messages', onMessages)
    live.on('outbound', onOutbound)
    live.on('conversation', onConversation)
    live.on('agent', onAgent)
    live.on('quick-replies', onQuickReplies)

    enqueue(async () => {
      if (lastId === undefined) {
        send('hello', { username: agent.username, apps: agent.apps }, await store.latestInboundId())
        return
      }
      const missed = await store.inboundAfter(lastId, agent.apps, catchUpLimit + 1)
      if (missed.length > catchUpLimit) {
        send('resync', { reason: 'too many missed messages' }, missed.at(-1)!.id)
        return
      }
      const states = new Map((await store.states(missed)).map((s) => [`${s.appId}\u0000${s.openid}`, s]))
      for (const item of missed) {
        replayed.add(item.id)
        send('message', { ...item, conversation: states.get(`${item.appId}\u0000${item.openid}`) ?? null }, item.id)
      }
    })

    // An open stream is a console on the agent's screen: automatic assignment goes only to agents who have one.
    let markedAt = 0
    const markConnected = async (): Promise<void> => {
      if (Date.now() - markedAt < CONNECTED_MARK_MS) return
      markedAt = Date.now()
      await fastify.prisma.$executeRaw`UPDATE agent SET connected_at = clock_timestamp() WHERE username = ${agent.username}`
    }
    markConnected().catch((err: Error) => { request.log.warn({ err: err.message }, 'console connection not recorded') })

    let checking = false
    const checkSession = async (): Promise<void> => {
      if (userId === undefined || handle === null || user === null) return end('ended')
      if (checking) return
      checking = true
      try {
        if (await fastify.kefuSessions.touchHandle(handle, userId, null) === null) return end('ended')
        if (!(await fastify.sso.loginState(user)).active) {
          await fastify.kefuSessions.destroyHandle(handle, userId)
          return end('ended')
        }
        const now = await fastify.agentApps(agent.username)
        if (now.length !== apps.size || now.some((a) => !apps.has(a))) {
          apps = new Set(now)
          request.log.info({ username: agent.username, apps: now }, 'live stream: the agent\'s mini programs changed')
          send('apps', { apps: now })
        }
        await markConnected()
      } catch {
        // The session store, A or the database is away: nobody is treated as signed in.
        end('unavailable')
      } finally {
        checking = false
      }
    }
    const heartbeat = setInterval(() => { write(': ping\n\n') }, heartbeatMs)
    const sessionTimer = setInterval(() => { void checkSession() }, sessionCheckMs)
    const onClose = (): void => { end() }
    live.once('close', onClose)

    function end (reason?: string): void {
      if (!open) return
      if (reason !== undefined) send(reason, {})
      open = false
      openStreams.dec()
      clearInterval(heartbeat)
      clearInterval(sessionTimer)
      live.off('messages', onMessages)
      live.off('outbound', onOutbound)
      live.off('conversation', onConversation)
      live.off('agent', onAgent)
      live.off('quick-replies', onQuickReplies)
      live.off('close', onClose)
      res.end()
    }
    request.raw.on('close', () => { end() })
  })
}
