import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type {} from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { kefuSession } from '@kefu/session'
import { AuthClient } from './auth-client.js'
import { AuthUnavailableError, BadLogoutError, CsrfError, LoginRequiredError, SsoConfigError, TicketRefusedError } from './errors.js'
import { LivenessCache } from './liveness.js'
import { renderPageScript } from './page-script.js'
import {
  CLIENT_ID_RE, exactOrigin, MIN_CLIENT_SECRET_LENGTH, safeReturnPath, SIGNATURE_HEADER, STATE_RE, TICKET_RE,
  verifyLogoutMessage, type LoginState, type Redemption
} from './protocol.js'
import { SESSION_WATCH_SOURCE } from './session-watch.js'
import { isPersonActivity, type SsoClientApi, type SsoClientOptions, type SsoUser } from './api.js'
import { sendError } from './error-page.js'

function option (ok: boolean, message: string): void {
  if (!ok) throw new SsoConfigError(`@kefu/sso-client option ${message}`)
}

function baseUrl (value: string): string {
  return value.replace(/\/+$/, '')
}

const NONCE_RE = /^[A-Za-z0-9_-]{43}$/

async function ssoClientPlugin (fastify: FastifyInstance, opts: SsoClientOptions): Promise<void> {
  option(typeof opts.authUrl === 'string' && exactOrigin(opts.authUrl) !== null, `authUrl must be an origin like https://auth.example, got ${JSON.stringify(opts.authUrl)}`)
  option(typeof opts.publicUrl === 'string' && exactOrigin(opts.publicUrl) !== null, `publicUrl must be an origin like https://b.example, got ${JSON.stringify(opts.publicUrl)}`)
  option(typeof opts.clientId === 'string' && CLIENT_ID_RE.test(opts.clientId), `clientId must be 1 to 64 letters, digits, '.', '_' or '-', got ${JSON.stringify(opts.clientId)}`)
  option(typeof opts.clientSecret === 'string' && opts.clientSecret.length >= MIN_CLIENT_SECRET_LENGTH, `clientSecret must be at least ${MIN_CLIENT_SECRET_LENGTH} characters`)
  const internal = baseUrl(opts.authInternalUrl ?? opts.authUrl)
  option(/^https?:\/\/[^/]/.test(internal), `authInternalUrl must be an http(s) URL, got ${JSON.stringify(opts.authInternalUrl)}`)
  const checkIntervalMs = opts.checkIntervalMs ?? 4000
  option(Number.isInteger(checkIntervalMs) && checkIntervalMs >= 0 && checkIntervalMs <= 60_000, 'checkIntervalMs must be 0 to 60000')
  const silentMs = (opts.silentCheckIntervalS ?? 60) * 1000
  option(Number.isInteger(silentMs) && silentMs >= 1000, 'silentCheckIntervalS must be a whole number ≥ 1')
  const logoutMaxAgeMs = (opts.logoutMaxAgeS ?? 30) * 1000
  const warnBeforeMs = (opts.warnBeforeS ?? 120) * 1000
  option(Number.isInteger(warnBeforeMs) && warnBeforeMs >= 0, 'warnBeforeS must be a whole number of seconds ≥ 0')
  const statusPollMs = opts.statusPollMs ?? 5000
  option(Number.isInteger(statusPollMs) && statusPollMs >= 200 && statusPollMs <= 60_000, 'statusPollMs must be 200 to 60000')
  const now = opts.now ?? Date.now

  // A B session has no idle limit of its own: idleness is decided at A, from activity on A and every B site (B
  // reports its own), so a person who works only here, or only at A, stays signed in on both. It ends with the A
  // login (checked at most every checkIntervalMs) or at its own absolute limit.
  if (opts.session !== undefined) {
    await fastify.register(kefuSession, { ...opts.session, idleTimeoutS: opts.session.absoluteTimeoutS ?? 43200 })
  }
  else if (!fastify.hasDecorator('kefuSessions')) throw new SsoConfigError('@kefu/sso-client needs @kefu/session: pass the session option or register @kefu/session first')

  const authUrl = opts.authUrl
  const publicOrigin = opts.publicUrl
  const callbackUrl = publicOrigin + '/sso/callback'
  const requestTimeoutMs = opts.requestTimeoutMs ?? 3000
  const auth = new AuthClient({ baseUrl: internal, clientId: opts.clientId, clientSecret: opts.clientSecret, timeoutMs: requestTimeoutMs, fetch: opts.fetch ?? fetch })
  const liveness = new LivenessCache(auth, checkIntervalMs, requestTimeoutMs, now, (err) => {
    fastify.log.warn({ err: err.message }, 'activity on this site not reported to the account site; it will be with the next check')
  })
  fastify.addHook('onClose', async () => { liveness.close() })
  const states = new WeakMap<FastifyRequest, LoginState>()
  const csrfKey = createHmac('sha256', opts.clientSecret).update('kefu-sso-csrf-key').digest()
  const base = `kefu_sso_${opts.clientId}`

  function cookieName (request: FastifyRequest, name: string): string {
    return request.protocol === 'https' ? `__Host-${base}_${name}` : `${base}_${name}`
  }
  function setCookie (request: FastifyRequest, reply: FastifyReply, name: string, value: string, maxAgeS: number): void {
    void reply.setCookie(cookieName(request, name), value, { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge: maxAgeS })
  }
  function clearCookie (request: FastifyRequest, reply: FastifyReply, name: string): void {
    void reply.clearCookie(cookieName(request, name), { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' })
  }
  function refusal (request: FastifyRequest, code: string, detail: Record<string, unknown> = {}): void {
    request.log.warn({ code, method: request.method, path: request.url.split('?')[0], ...detail }, 'refused')
  }
  function csrfToken (nonce: string): string {
    return createHmac('sha256', csrfKey).update(nonce).digest('base64url')
  }

  async function user (request: FastifyRequest): Promise<SsoUser | null> {
    const sessionUser = await request.kefuSession.load()
    if (sessionUser === null) return null
    const sub = request.kefuSession.get<string>('sub')
    const sid = request.kefuSession.get<string>('sid')
    if (typeof sub !== 'string' || typeof sid !== 'string') {
      await request.kefuSession.logout()
      return null
    }
    const state = await liveness.state(sub, sid, isPersonActivity(request) ? now() : undefined)
    if (!state.active) {
      request.log.info({ username: sessionUser.username }, 'A login ended: B session closed')
      await request.kefuSession.logout()
      return null
    }
    states.set(request, state)
    return { id: sub, username: sessionUser.username, sid }
  }

  /** What `/sso/status` and `/sso/keepalive` answer: when the login ends, for the page's warning. */
  function statusOf (state: LoginState | undefined): Record<string, unknown> {
    const base = { now: now(), warnBeforeMs, pollMs: statusPollMs, loginPath: '/sso/login?return_to=' }
    if (state === undefined || !state.active) return { active: false, ...base }
    return { active: true, expiresAt: state.expiresAt, capAt: state.capAt, ...base }
  }

  /** B's session is keyed by the A login it came from, so a back-channel logout ends exactly those sessions. */
  function sessionUserId (sub: string, sid: string): string {
    return `${sub}:${sid}`
  }

  async function startSession (request: FastifyRequest, r: Redemption): Promise<void> {
    // A new B session id; the one the request carried (if any) is destroyed with it: no fixation.
    await request.kefuSession.login({ id: sessionUserId(r.sub, r.sid), username: r.username }, { sub: r.sub, sid: r.sid })
    request.log.info({ username: r.username }, 'logged in from A')
  }

  async function redeem (request: FastifyRequest, ticket: string): Promise<Redemption> {
    const result = await auth.redeem(ticket)
    if (!result.ok) {
      refusal(request, 'KEFU_SSO_TICKET_REFUSED', { reason: result.code })
      throw new TicketRefusedError()
    }
    return result.redemption
  }

  const api: SsoClientApi = {
    authUrl,
    clientId: opts.clientId,
    user,
    async pageScript (request, reply, options = {}) {
      const current = await request.ssoUser()
      const name = cookieName(request, 'csrf')
      let nonce = request.cookies[name]
      if (nonce === undefined || !NONCE_RE.test(nonce)) {
        nonce = randomBytes(32).toString('base64url')
        setCookie(request, reply, 'csrf', nonce, 12 * 3600)
      }
      const checkedAt = Number(request.cookies[cookieName(request, 'checked')])
      const t = now()
      const due = !(Number.isFinite(checkedAt) && checkedAt <= t && t - checkedAt < silentMs)
      return renderPageScript({
        authUrl,
        clientId: opts.clientId,
        user: current !== null,
        due,
        csrf: csrfToken(nonce),
        ticketUrl: '/sso/ticket',
        checkUrl: '/sso/login?prompt=none&return_to='
      }, options.nonce)
    },
    loginPath (returnTo = '/') {
      return '/sso/login?return_to=' + encodeURIComponent(safeReturnPath(returnTo))
    },
    async pageState (request) {
      try {
        return { user: await request.ssoUser(), unavailable: false }
      } catch (err) {
        if (!(err instanceof AuthUnavailableError)) throw err
        request.log.warn({ err: (err.cause as Error | undefined)?.message }, 'account site unreachable')
        return { user: null, unavailable: true }
      }
    },
    loginState (u) {
      return liveness.state(u.id, u.sid)
    },
    sessionWatchPath: '/sso/session-watch.js'
  }
  fastify.decorate('sso', api)
  fastify.decorate('ssoRequired', async function ssoRequired (request: FastifyRequest) {
    if (await request.ssoUser() === null) throw new LoginRequiredError()
  })
  const memo = new WeakMap<FastifyRequest, Promise<SsoUser | null>>()
  fastify.decorateRequest('ssoUser', function ssoUser (this: FastifyRequest) {
    let p = memo.get(this)
    if (p === undefined) {
      p = user(this)
      memo.set(this, p)
    }
    return p
  })

  // Same-site path, step 7: the page posts A's ticket here. Only this site's own pages may (Origin, and the
  // signed double-submit token in a custom header, which no cross-site form can send).
  fastify.post<{ Body: { ticket: string } }>('/sso/ticket', {
    schema: {
      body: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string', maxLength: 128 } } },
      response: { 200: { type: 'object', properties: { username: { type: 'string' } } } }
    },
    // Before the body is validated, so that a cross-site form post of any content type is refused (and logged) as such.
    preValidation: async function ticketCsrf (request) {
      const origin = request.headers.origin
      const site = request.headers['sec-fetch-site']
      let reason: string | null = null
      if (origin !== publicOrigin) reason = `Origin ${String(origin).slice(0, 100)} is not ${publicOrigin}`
      else if (site !== undefined && site !== 'same-origin') reason = `Sec-Fetch-Site is ${String(site).slice(0, 20)}`
      else {
        const nonce = request.cookies[cookieName(request, 'csrf')]
        const token = request.headers['x-kefu-csrf']
        if (nonce === undefined || typeof token !== 'string' || !NONCE_RE.test(token) ||
          !timingSafeEqual(Buffer.from(token), Buffer.from(csrfToken(nonce)))) reason = 'missing or invalid CSRF token'
      }
      if (reason !== null) {
        refusal(request, 'KEFU_SSO_CSRF', { reason })
        throw new CsrfError(reason)
      }
    }
  }, async function ticketPost (request, reply) {
    void reply.header('cache-control', 'no-store')
    if (!TICKET_RE.test(request.body.ticket)) {
      refusal(request, 'KEFU_SSO_TICKET_REFUSED', { reason: 'malformed ticket' })
      throw new TicketRefusedError('malformed ticket')
    }
    const r = await redeem(request, request.body.ticket)
    await startSession(request, r)
    return { username: r.username }
  })

  // Cross-site path: the top-level redirect check. `state` is bound to this browser by a cookie named after it,
  // so that two tabs checking at once do not overwrite each other.
  fastify.get<{ Querystring: { return_to?: string, prompt?: string } }>('/sso/login', {
    schema: { querystring: { type: 'object', properties: { return_to: { type: 'string', maxLength: 2048 }, prompt: { type: 'string', enum: ['none'] } } } }
  }, async function ssoLogin (request, reply) {
    const state = randomBytes(16).toString('base64url')
    const returnTo = safeReturnPath(request.query.return_to)
    setCookie(request, reply, 'state_' + state.slice(0, 8), `${state}.${Buffer.from(returnTo).toString('base64url')}`, 600)
    const target = new URL(authUrl + '/sso/authorize')
    target.searchParams.set('client_id', opts.clientId)
    target.searchParams.set('redirect_uri', callbackUrl)
    target.searchParams.set('state', state)
    if (request.query.prompt === 'none') target.searchParams.set('prompt', 'none')
    return reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store').redirect(target.href, 303)
  })

  fastify.get<{ Querystring: { state?: string, ticket?: string, error?: string } }>('/sso/callback', {
    schema: {
      querystring: {
        type: 'object',
        properties: { state: { type: 'string', maxLength: 128 }, ticket: { type: 'string', maxLength: 128 }, error: { type: 'string', maxLength: 64 } }
      }
    }
  }, async function ssoCallback (request, reply) {
    // The ticket is in this URL: it must not reach another site as a Referer, nor stay in the address bar.
    void reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store')
    const { state, ticket, error } = request.query
    const stateName = state === undefined || !STATE_RE.test(state) ? undefined : 'state_' + state.slice(0, 8)
    const stored = stateName === undefined ? undefined : request.cookies[cookieName(request, stateName)]
    if (stateName !== undefined) clearCookie(request, reply, stateName)
    const [expected = '', encodedReturn = ''] = (stored ?? '').split('.')
    if (state === undefined || stored === undefined || expected.length !== state.length ||
      !timingSafeEqual(Buffer.from(expected), Buffer.from(state))) {
      refusal(request, 'KEFU_SSO_BAD_STATE', { reason: state === undefined ? 'no state' : 'state not bound to this browser' })
      return sendError(request, reply, 400, 'state')
    }
    const returnTo = safeReturnPath(Buffer.from(encodedReturn, 'base64url').toString('utf8'))
    if (ticket === undefined) {
      // "login_required" (nobody at A) or any other answer: remember that we checked, so the page does not loop.
      setCookie(request, reply, 'checked', String(now()), Math.ceil(silentMs / 1000))
      if (error !== 'login_required') refusal(request, 'KEFU_SSO_CALLBACK_ERROR', { error: error ?? 'no ticket' })
      return reply.redirect(returnTo, 303)
    }
    if (!TICKET_RE.test(ticket)) {
      refusal(request, 'KEFU_SSO_TICKET_REFUSED', { reason: 'malformed ticket' })
      return sendError(request, reply, 400, 'malformed')
    }
    let r: Redemption
    try {
      r = await redeem(request, ticket)
    } catch (err) {
      if (err instanceof TicketRefusedError) return sendError(request, reply, 400, 'refused')
      throw err
    }
    await startSession(request, r)
    return reply.redirect(returnTo, 303)
  })

  // For pages: when the login ends, so they can warn before an idle sign-out. Asking is not activity.
  fastify.get('/sso/status', { config: { ssoActivity: false } }, async function ssoStatus (request, reply) {
    void reply.header('cache-control', 'no-store')
    const current = await request.ssoUser()
    return statusOf(current === null ? undefined : states.get(request))
  })

  // "Stay signed in": the person's activity, reported to A at once. Only this site's own pages may post it.
  fastify.post('/sso/keepalive', {
    config: { ssoActivity: false },
    preValidation: async function keepaliveOrigin (request) {
      const origin = request.headers.origin
      const site = request.headers['sec-fetch-site']
      if (origin !== publicOrigin || (site !== undefined && site !== 'same-origin')) {
        refusal(request, 'KEFU_SSO_CSRF', { reason: `keepalive from ${String(origin).slice(0, 100)}` })
        throw new CsrfError('only this site\'s pages may keep the session alive')
      }
    }
  }, async function keepalive (request, reply) {
    void reply.header('cache-control', 'no-store')
    const current = await request.ssoUser()
    if (current === null) return statusOf(undefined)
    const state = await liveness.keepAlive(current.id, current.sid, now())
    if (!state.active) await request.kefuSession.logout()
    return statusOf(state)
  })

  fastify.get(api.sessionWatchPath, { config: { ssoActivity: false } }, async function sessionWatch (_request, reply) {
    return reply.headers({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff'
    }).send(SESSION_WATCH_SOURCE)
  })

  // A's back-channel logout. The signature covers the exact bytes, so the body is kept as a string. A's server
  // calls it, not a page: the signature (HMAC under the client secret, with audience, issuer and age) is its proof.
  await fastify.register(async function backChannel (scope) {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, function rawJson (_req, body, done) {
      done(null, body)
    })
    scope.post<{ Body: string }>('/sso/logout', { config: { originCheck: 'server-to-server' } }, async function backChannelLogout (request, reply) {
      const signature = request.headers[SIGNATURE_HEADER]
      const verdict = verifyLogoutMessage(request.body, typeof signature === 'string' ? signature : undefined, {
        secret: opts.clientSecret, issuer: authUrl, audience: opts.clientId, now: now(), maxAgeMs: logoutMaxAgeMs
      })
      if (!verdict.ok) {
        refusal(request, 'KEFU_SSO_BAD_LOGOUT', { reason: verdict.reason })
        throw new BadLogoutError(verdict.reason)
      }
      const { sub, sids } = verdict.message
      let ended = 0
      for (const sid of sids) {
        liveness.markEnded(sid)
        ended += await fastify.kefuSessions.destroyAllForUser(sessionUserId(sub, sid))
      }
      request.log.info({ sub, logins: sids.length, sessions: ended }, 'back-channel logout')
      return reply.code(204).send()
    })
  })

  if (opts.meRoute !== false) {
    fastify.get('/me', {
      schema: { response: { 200: { type: 'object', required: ['username'], properties: { username: { type: 'string' } } } } }
    }, async function me (request, reply) {
      void reply.header('cache-control', 'no-store')
      const current = await request.ssoUser()
      if (current === null) throw new LoginRequiredError()
      return { username: current.username }
    })
  }
}

/** The Fastify plugin: `fastify.register(ssoClient, { authUrl, clientId, clientSecret, publicUrl, session })`. */
export const ssoClient = fp(ssoClientPlugin, { fastify: '5.x', name: '@kefu/sso-client' })
