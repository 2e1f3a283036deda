import { randomBytes } from 'node:crypto'
import cors from '@fastify/cors'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parseBasicAuthorization, secretsEqual, SID_RE, STATE_RE, TICKET_RE, type LoginState, type Redemption, type TicketAnswer } from '@kefu/sso-client'
import type { SsoClient } from '../lib/clients.js'
import { logRefusal, type AuthContext } from '../lib/context.js'
import { BadRedirectUri, BadState, ClientAuthFailed, InvalidTicket, OriginNotRegistered, UnknownClient, BadRequest } from '../lib/errors.js'
import { escapeHtml, sendPage } from '../lib/html.js'
import { messages, pickLang } from '../lib/i18n.js'

const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } }
} as const
const errors = Object.fromEntries([400, 401, 403, 503].map((s) => [s, errorSchema]))

/** Compared against when the client id is unknown, so that both failures take the same time. */
const NO_SECRET = randomBytes(32).toString('base64url')

export default async function ssoRoutes (fastify: FastifyInstance, opts: { ctx: AuthContext }): Promise<void> {
  const { ctx } = opts

  async function issueTicket (client: SsoClient, user: { id: string, username: string }, sid: string): Promise<string> {
    const ticket = await fastify.tickets.issue({ clientId: client.clientId, sub: user.id, username: user.username, sid, expiresAt: ctx.now() + ctx.ticketTtlMs })
    ctx.metrics.ticketsIssued.inc({ client: client.clientId })
    return ticket
  }

  function authenticateClient (request: FastifyRequest): SsoClient {
    const creds = parseBasicAuthorization(request.headers.authorization)
    const client = creds === null ? undefined : ctx.clients.get(creds.clientId)
    const secretOk = secretsEqual(creds?.clientSecret ?? '', client?.clientSecret ?? NO_SECRET)
    if (client === undefined || !secretOk) {
      logRefusal(request, 'KEFU_AUTH_CLIENT_AUTH', { clientId: creds?.clientId.slice(0, 64) ?? null, reason: client === undefined ? 'unknown client or no credentials' : 'wrong client secret' })
      throw Object.assign(new ClientAuthFailed(), { headers: { 'www-authenticate': 'Basic realm="kefu-sso", charset="UTF-8"' } })
    }
    return client
  }

  // The same-site path: B's page asks with credentials. Only registered exact origins get CORS headers (never `*`,
  // never JSONP); the route itself also refuses any other origin, since CORS only stops the *reading*.
  await fastify.register(async function ticketEndpoint (scope) {
    await scope.register(cors, {
      // Per request: only the origins registered for the client_id asked about.
      delegator: async function corsFor (request: FastifyRequest) {
        const clientId = (request.query as { client_id?: unknown }).client_id
        const origin = request.headers.origin
        const client = typeof clientId === 'string' ? ctx.clients.get(clientId) : undefined
        return { origin: origin !== undefined && client !== undefined && client.origins.includes(origin), credentials: true, methods: ['POST'], maxAge: 600 }
      }
    })
    scope.post<{ Querystring: { client_id: string } }>('/sso/ticket', {
      config: { originCheck: 'registered-origins' },
      schema: {
        querystring: { type: 'object', required: ['client_id'], properties: { client_id: { type: 'string', maxLength: 64 } } },
        response: {
          200: {
            type: 'object',
            required: ['status'],
            properties: { status: { type: 'string', enum: ['ticket', 'anonymous', 'redirect'] }, ticket: { type: 'string' } }
          },
          ...errors
        }
      }
    }, async function ticket (request, reply): Promise<TicketAnswer> {
      void reply.header('cache-control', 'no-store')
      const client = ctx.clients.get(request.query.client_id)
      if (client === undefined) {
        logRefusal(request, 'KEFU_AUTH_UNKNOWN_CLIENT', { clientId: request.query.client_id })
        throw new UnknownClient()
      }
      const origin = request.headers.origin
      if (origin === undefined || !client.origins.includes(origin)) {
        const reason = origin === undefined ? 'no Origin header (not a CORS request from a registered page)' : `origin ${origin.slice(0, 100)} is not registered for ${client.clientId}`
        logRefusal(request, 'KEFU_AUTH_ORIGIN_NOT_REGISTERED', { clientId: client.clientId, origin: origin ?? null })
        throw new OriginNotRegistered(reason)
      }
      const mode = request.headers['sec-fetch-mode']
      if (mode !== undefined && mode !== 'cors') {
        logRefusal(request, 'KEFU_AUTH_ORIGIN_NOT_REGISTERED', { clientId: client.clientId, reason: `Sec-Fetch-Mode ${String(mode)}` })
        throw new OriginNotRegistered('only a fetch() from the registered page may ask')
      }
      // A SameSite=Lax cookie never rides on a cross-site fetch: the browser says so (over HTTPS), and the page
      // falls back to the top-level redirect check.
      const site = request.headers['sec-fetch-site']
      if (site === 'cross-site') return { status: 'redirect' }
      const user = await request.kefuSession.load()
      if (user !== null) {
        const ticket = await issueTicket(client, user, request.kefuSession.handle!)
        request.log.info({ clientId: client.clientId, username: user.username, path: 'same-site' }, 'ticket issued')
        return { status: 'ticket', ticket }
      }
      // No session. It is "nobody is logged in" only if A's cookies can reach A from this page at all.
      const reach = site === 'same-site' || site === 'same-origin' || ctx.cookiesReach(request)
      return reach ? { status: 'anonymous' } : { status: 'redirect' }
    })
  })

  // The cross-site path: a top-level navigation, where A's Lax cookie is sent even from another site.
  fastify.get<{ Querystring: { client_id?: string, redirect_uri?: string, state?: string, prompt?: string } }>('/sso/authorize', {
    schema: {
      querystring: {
        type: 'object',
        properties: {
          client_id: { type: 'string', maxLength: 64 },
          redirect_uri: { type: 'string', maxLength: 2048 },
          state: { type: 'string', maxLength: 128 },
          prompt: { type: 'string', maxLength: 16 }
        }
      }
    }
  }, async function authorize (request, reply) {
    void reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store')
    const m = messages(pickLang(request.headers['accept-language']))
    const { client_id: clientId, redirect_uri: redirectUri, state, prompt } = request.query
    // Nothing here redirects before client_id and redirect_uri are proven: an error never goes to an unverified URL.
    const refuse = (code: string, text: string, detail: Record<string, unknown>): FastifyReply => {
      logRefusal(request, code, detail)
      return sendPage(reply, 400, { lang: pickLang(request.headers['accept-language']), title: m.errorTitle, body: `<h1>${escapeHtml(m.errorTitle)}</h1>\n<p class="error" role="alert">${escapeHtml(text)}</p>\n<p><a href="/">${escapeHtml(m.backHome)}</a></p>` })
    }
    const client = clientId === undefined ? undefined : ctx.clients.get(clientId)
    if (client === undefined) return refuse(new UnknownClient().code, m.unknownClient, { clientId: clientId ?? null })
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
      return refuse(new BadRedirectUri().code, m.badRedirect, { clientId, redirectUri: redirectUri?.slice(0, 200) ?? null })
    }
    if (state === undefined || !STATE_RE.test(state)) return refuse(new BadState().code, m.badState, { clientId })
    if (prompt !== undefined && prompt !== 'none') return refuse('KEFU_AUTH_BAD_REQUEST', m.badPrompt, { clientId, prompt })
    const back = new URL(redirectUri)
    const user = await request.kefuSession.load()
    if (user !== null) {
      back.searchParams.set('ticket', await issueTicket(client, user, request.kefuSession.handle!))
      request.log.info({ clientId, username: user.username, path: 'cross-site' }, 'ticket issued')
    } else if (prompt === 'none') {
      back.searchParams.set('error', 'login_required')
    } else {
      return reply.redirect('/login?return_to=' + encodeURIComponent(request.url), 303)
    }
    back.searchParams.set('state', state)
    return reply.redirect(back.href, 303)
  })

  fastify.post<{ Body: { ticket: string } }>('/sso/redeem', {
    config: { originCheck: 'server-to-server' },
    schema: {
      body: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string', maxLength: 128 } } },
      response: {
        200: { type: 'object', required: ['sub', 'username', 'sid'], properties: { sub: { type: 'string' }, username: { type: 'string' }, sid: { type: 'string' } } },
        ...errors
      }
    }
  }, async function redeem (request, reply): Promise<Redemption> {
    void reply.header('cache-control', 'no-store')
    const { ticket } = request.body
    // Burned before anything else is checked: the first attempt, right or wrong, is the only one.
    const grant = TICKET_RE.test(ticket) ? await fastify.tickets.take(ticket) : null
    const client = authenticateClient(request)
    const refuse = (reason: string): never => {
      ctx.metrics.ticketsRedeemed.inc({ client: client.clientId, outcome: 'refused' })
      logRefusal(request, 'KEFU_AUTH_INVALID_TICKET', { clientId: client.clientId, reason })
      throw new InvalidTicket()
    }
    if (grant === null) return refuse('unknown or already used ticket')
    if (grant.clientId !== client.clientId) return refuse(`ticket was issued to ${grant.clientId}`)
    if (ctx.now() >= grant.expiresAt) return refuse('expired ticket')
    // The A login may have ended between issue and redemption (a logout in another tab).
    const live = await fastify.kefuSessions.touchHandle(grant.sid, grant.sub, null)
    if (live === null) return refuse('the A login behind the ticket has ended')
    await fastify.tickets.addParticipant(grant.sid, client.clientId, fastify.kefuSessions.limits.absoluteMs)
    ctx.metrics.ticketsRedeemed.inc({ client: client.clientId, outcome: 'redeemed' })
    request.log.info({ clientId: client.clientId, username: grant.username }, 'ticket redeemed')
    return { sub: grant.sub, username: grant.username, sid: grant.sid }
  })

  // B asks whether an A login is still live, and reports the latest request the person made on B (`activeAt`):
  // activity on any site keeps the login alive (docs/SPEC.md: what "idle" means). A liveness check alone is not activity.
  // Only a B site the login signed in to (it redeemed one of its tickets) is answered: another registered client that
  // holds the sid (leaked, guessed from logs, a bug) learns nothing of the login and moves nothing; its answer is
  // "not active", so a session it should never have had ends there.
  fastify.post<{ Body: { sub: string, sid: string, activeAt?: number } }>('/sso/check', {
    config: { originCheck: 'server-to-server' },
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['sub', 'sid'],
        properties: {
          sub: { type: 'string', minLength: 1, maxLength: 64 },
          sid: { type: 'string', maxLength: 64 },
          activeAt: { type: 'integer', minimum: 0, maximum: 8_640_000_000_000_000 }
        }
      },
      response: {
        200: {
          type: 'object',
          required: ['active'],
          properties: {
            active: { type: 'boolean' },
            expiresAt: { type: 'integer' },
            capAt: { type: 'integer' },
            idleMs: { type: 'integer' },
            now: { type: 'integer' }
          }
        },
        ...errors
      }
    }
  }, async function check (request, reply): Promise<LoginState> {
    void reply.header('cache-control', 'no-store')
    const client = authenticateClient(request)
    const { sub, sid, activeAt } = request.body
    if (!SID_RE.test(sid)) throw new BadRequest('sid is malformed')
    if (!await fastify.tickets.isParticipant(sid, client.clientId)) {
      logRefusal(request, 'KEFU_AUTH_NOT_SIGNED_IN_THERE', { clientId: client.clientId, sid, activity: activeAt !== undefined, reason: `the login did not sign in at ${client.clientId}` })
      return { active: false }
    }
    const state = await fastify.kefuSessions.touchHandle(sid, sub, activeAt ?? null)
    if (state === null) return { active: false }
    if (activeAt !== undefined) request.log.debug({ clientId: client.clientId, sid, activeAt }, 'activity on a B site')
    const { idleMs, absoluteMs } = fastify.kefuSessions.limits
    return { active: true, expiresAt: state.expiresAt, capAt: state.createdAt + absoluteMs, idleMs, now: ctx.now() }
  })
}
