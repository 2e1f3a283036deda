import { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import type { TimelineItem } from '../lib/messages.js'
import { OUTBOUND_CHANNEL } from './api.js'

/** The channel ingest announces stored pushes on (see @kefu/ingest). */
export const MESSAGES_CHANNEL = 'kefu:messages'

export interface EventsRoutesOptions {
  /** How often an open stream checks that its session is still live (a logout at A ends it within this). */
  sessionCheckMs?: number
  heartbeatMs?: number
  /** At most this many missed messages are replayed on reconnect; more means "reload". */
  catchUpLimit?: number
}

interface Announcement { id: string, appId: string, openid: string }

/**
 * GET /api/events — Server-Sent Events: each stored push of the agent's mini programs (`event: message`, `id:` its
 * customer_message id) and every reply status change (`event: outbound`). A reconnecting EventSource sends
 * Last-Event-ID and gets what it missed first. The stream is never activity (an open tab is not a person at work):
 * every `sessionCheckMs` it checks, without extending anything, that the B session and the A login behind it are
 * live, and ends with `event: ended` when either is not; it rereads the agent's mini programs and narrows (or widens)
 * what it sends, with `event: apps`, when an administrator changed them.
 */
export default async function eventsRoutes (fastify: FastifyInstance, opts: EventsRoutesOptions): Promise<void> {
  const store = fastify.consoleStore
  const local = new EventEmitter()
  local.setMaxListeners(0)
  const sessionCheckMs = opts.sessionCheckMs ?? 4000
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const catchUpLimit = opts.catchUpLimit ?? 200

  // One subscription per process; each announced row is read once here, then fanned out to the open streams,
  // which keep the rows of their agent's mini programs.
  const unsubscribe: Array<() => Promise<void>> = []
  let reads: Promise<void> = Promise.resolve()
  function relay (event: 'messages' | 'outbound', read: (list: Announcement[]) => Promise<TimelineItem[]>) {
    return (m: string): void => {
      let list: Announcement[]
      try {
        list = (JSON.parse(m) as Record<string, Announcement[]>)[event] ?? []
      } catch {
        return
      }
      if (local.listenerCount(event) === 0 || list.length === 0) return
      // In order: a reply's `sent` must not overtake its `sending`.
      reads = reads.then(async () => { local.emit(event, await read(list)) })
        .catch((err: Error) => { fastify.log.warn({ err: err.message }, 'live update failed') })
    }
  }
  fastify.addHook('onReady', async () => {
    unsubscribe.push(await fastify.bus.subscribe(MESSAGES_CHANNEL, relay('messages', (list) =>
      store.inboundByIds(list.map((a) => a.id), [...new Set(list.map((a) => a.appId))]))))
    unsubscribe.push(await fastify.bus.subscribe(OUTBOUND_CHANNEL, relay('outbound', async (list) => {
      const items = await Promise.all(list.map((a) => store.outboundById(a.id, [a.appId])))
      return items.filter((item) => item !== null)
    })))
  })
  fastify.addHook('preClose', async () => {
    local.emit('close')
    for (const stop of unsubscribe) await stop().catch(() => {})
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
    const onMessages = (items: TimelineItem[]): void => {
      const mine = items.filter((item) => apps.has(item.appId))
      if (mine.length > 0) enqueue(async () => { for (const item of mine) send('message', item, item.id) })
    }
    const onOutbound = (items: TimelineItem[]): void => {
      const mine = items.filter((item) => apps.has(item.appId))
      if (mine.length > 0) enqueue(async () => { for (const item of mine) send('outbound', item) })
    }
    local.on('messages', onMessages)
    local.on('outbound', onOutbound)

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
      for (const item of missed) send('message', item, item.id)
    })

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
    local.once('close', onClose)

    function end (reason?: string): void {
      if (!open) return
      if (reason !== undefined) send(reason, {})
      open = false
      clearInterval(heartbeat)
      clearInterval(sessionTimer)
      local.off('messages', onMessages)
      local.off('outbound', onOutbound)
      local.off('close', onClose)
      res.end()
    }
    request.raw.on('close', () => { end() })
  })
}
