import type { FastifyInstance, FastifyRequest } from 'fastify'
import { NoSuchApp, NoSuchConversation, TooManySearches } from '../common/errors.js'
import { BadSearch } from '../common/history-errors.js'
import type { RateLimiter } from '../common/rate-limit.js'
import { around, MAX_ID, search, SearchError, type SearchCursor } from './search.js'
import { MAX_QUERY_LENGTH } from '@kefu/history'

interface SearchQuery {
  q?: string
  appid?: string
  openid?: string
  tag?: string
  status?: string
  assignee?: string
  direction?: 'in' | 'out'
  from?: string
  to?: string
  limit?: number
  after?: string
}

/**
 * A day (`2026-12-01`: China time, UTC+8, as WeChat's users and teams live) or an ISO 8601 time with its offset.
 * Before 1970 is 1970: no message is older, and PostgreSQL has no year 0.
 */
export function parseInstant (name: string, value: string, endOfDay: boolean): number {
  const date = /^(\d{4})-(\d{2})-(\d{2})(T|$)/.exec(value)
  const dayOnly = date !== null && date[4] === ''
  const ms = dayOnly ? Date.parse(`${value}T00:00:00+08:00`) + (endOfDay ? 86_400_000 : 0) : Date.parse(value)
  if (!Number.isFinite(ms) || date === null || !realDay(Number(date[1]), Number(date[2]), Number(date[3]))) {
    throw new BadSearch(`${name} must be a date (2026-12-01, China time) or an ISO 8601 time, got "${value}"`)
  }
  return Math.max(0, ms)
}

/** Date.parse takes 2026-02-30 for March 2: the day must exist. */
function realDay (year: number, month: number, day: number): boolean {
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
}

function cursorOf (value: string): SearchCursor {
  const m = /^([0-9]{1,15})\.(in|out)\.([0-9]{1,19})$/.exec(value)
  if (m === null || BigInt(m[3]!) > MAX_ID) throw new BadSearch('after must be the next cursor of a previous page')
  return { at: Number(m[1]), direction: m[2] as 'in' | 'out', id: m[3]! }
}

/**
 * Text PostgreSQL can take, as the client meant it: a query string that decodes as UTF-8 (Fastify keeps a malformed
 * escape as its raw characters, which would then be searched for), and no NUL (no text column can hold one, and
 * PostgreSQL refuses a parameter with one).
 */
function refuseUnusableText (request: FastifyRequest): void {
  const at = request.url.indexOf('?')
  for (const pair of at < 0 ? [] : request.url.slice(at + 1).split('&')) {
    try {
      decodeURIComponent(pair.replace(/\+/g, ' '))
    } catch {
      throw new BadSearch(`the query string is not valid UTF-8 after percent-decoding, near "${pair.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}"`)
    }
  }
  const values = { ...(request.params as Record<string, unknown>), ...(request.query as Record<string, unknown>) }
  for (const [name, value] of Object.entries(values)) {
    if ([value].flat().some((v) => typeof v === 'string' && v.includes('\u0000'))) throw new BadSearch(`${name.replace(/[^\x20-\x7e]/g, '?')} must not contain a NUL character`)
  }
}

export interface SearchRoutesOptions {
  /** Searches per agent (SEARCHES_PER_MINUTE a minute). */
  limiter: RateLimiter
  /** Shown in the 429. */
  perMinute: number
  /** How long a search may run (default SEARCH_TIMEOUT_MS). */
  timeoutMs?: number
}

/** Searches an agent may run per minute: a person searching and paging never comes near it; a script is held to it. */
export const SEARCHES_PER_MINUTE = 60

/**
 * GET /api/search — messages of the agent's mini programs by what was said, who said it, the conversation's tag,
 * status and assignee, and when; newest first, a page at a time. GET /api/conversations/:appid/:openid/around —
 * the conversation around one result, so a result opens the conversation at that message.
 */
export default async function searchRoutes (fastify: FastifyInstance, opts: SearchRoutesOptions): Promise<void> {
  fastify.addHook('onSend', async (_request, reply) => {
    if (reply.getHeader('cache-control') === undefined) void reply.header('cache-control', 'no-store')
  })
  fastify.addHook('preValidation', async function searchText (request) { refuseUnusableText(request) })

  fastify.get<{ Querystring: SearchQuery }>('/api/search', {
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          q: { type: 'string', maxLength: MAX_QUERY_LENGTH },
          appid: { type: 'string', pattern: '^wx[0-9A-Za-z]{16}$' },
          openid: { type: 'string', minLength: 1, maxLength: 128 },
          tag: { type: 'string', minLength: 1, maxLength: 64 },
          status: { type: 'string', enum: ['open', 'pending', 'resolved'] },
          assignee: { type: 'string', maxLength: 128 },
          direction: { type: 'string', enum: ['in', 'out'] },
          from: { type: 'string', maxLength: 40 },
          to: { type: 'string', maxLength: 40 },
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          after: { type: 'string', maxLength: 64 }
        }
      }
    }
  }, async function searchMessages (request, reply) {
    const agent = await request.agent()
    const limited = await opts.limiter.hit(agent.username)
    if (!limited.allowed) {
      void reply.header('retry-after', String(limited.retryAfterS))
      throw new TooManySearches(opts.perMinute, limited.retryAfterS)
    }
    const q = request.query
    if (q.appid !== undefined && !agent.apps.includes(q.appid)) throw new NoSuchApp()
    const apps = q.appid === undefined ? agent.apps : [q.appid]
    const from = q.from === undefined ? undefined : parseInstant('from', q.from, false)
    const to = q.to === undefined ? undefined : parseInstant('to', q.to, true)
    if (from !== undefined && to !== undefined && from >= to) throw new BadSearch('from must be before to')
    if (apps.length === 0) return { results: [], next: null }
    try {
      const found = await search(fastify.replica, {
        apps, text: q.q, openid: q.openid, tag: q.tag, status: q.status, assignee: q.assignee, direction: q.direction, from, to,
        after: q.after === undefined ? undefined : cursorOf(q.after), limit: q.limit ?? 20, timeoutMs: opts.timeoutMs
      })
      const items = await fastify.mediaLibrary.annotate(found.hits.map((h) => h.item))
      return {
        results: items.map((item, i) => ({ ...item, conversation: found.hits[i]!.conversation })),
        next: found.next === null ? null : `${found.next.at}.${found.next.direction}.${found.next.id}`
      }
    } catch (err) {
      if (err instanceof SearchError) throw new BadSearch(err.message)
      throw err
    }
  })

  fastify.get<{ Params: { appid: string, openid: string }, Querystring: { key: string, each?: number } }>('/api/conversations/:appid/:openid/around', {
    schema: {
      params: { type: 'object', required: ['appid', 'openid'], properties: { appid: { type: 'string', pattern: '^wx[0-9A-Za-z]{16}$' }, openid: { type: 'string', minLength: 1, maxLength: 128 } } },
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['key'],
        properties: { key: { type: 'string', pattern: '^(in|out)-[0-9]{1,19}$' }, each: { type: 'integer', minimum: 1, maximum: 100, default: 25 } }
      }
    }
  }, async function conversationAround (request) {
    const { appid, openid } = request.params
    if (BigInt(request.query.key.slice(request.query.key.indexOf('-') + 1)) > MAX_ID) throw new BadSearch('key must be the key of a message (in-<id> or out-<id>)')
    const agent = await request.agent()
    if (!agent.apps.includes(appid)) throw new NoSuchApp()
    const summary = await fastify.consoleStore.conversation(appid, openid)
    if (summary === null) throw new NoSuchConversation()
    const messages = await around(fastify.replica, appid, openid, request.query.key, request.query.each ?? 25, opts.timeoutMs)
    if (messages === null) throw new NoSuchConversation()
    return { conversation: summary, messages: await fastify.mediaLibrary.annotate(messages), target: request.query.key }
  })
}
