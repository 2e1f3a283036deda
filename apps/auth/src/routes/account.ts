import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { safeReturnPath } from '@kefu/sso-client'
import { endLogins } from '../lib/end-logins.js'
import { logRefusal, type AuthContext } from '../lib/context.js'
import { BadCredentials, BadCsrfToken, TooManyAttempts, UnsupportedBody } from '../lib/errors.js'
import { escapeHtml, sendPage } from '../lib/html.js'
import { messages, pickLang, type Lang, type Messages } from '../lib/i18n.js'
import { hashPassword, needsRehash, verifyPassword } from '../lib/password.js'
import { isFormPost, isJsonPost } from '../lib/request-guard.js'

interface LoginBody { username: string, password: string, _csrf?: string, return_to?: string }
interface LogoutBody { everywhere?: 'true' | 'false', _csrf?: string }

const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } }
} as const
const userSchema = { type: 'object', required: ['username'], properties: { username: { type: 'string' } } } as const

function langOf (request: FastifyRequest): Lang {
  return pickLang(request.headers['accept-language'])
}

interface LoginFormState { username?: string, error?: string, notice?: string, returnTo: string }

function loginPage (ctx: AuthContext, request: FastifyRequest, reply: FastifyReply, status: number, state: LoginFormState): FastifyReply {
  const lang = langOf(request)
  const m = messages(lang)
  const token = ctx.csrf.issue(request, reply)
  const error = state.error === undefined ? '' : `<p class="error" role="alert" id="login-error">${escapeHtml(state.error)}</p>`
  const notice = state.notice === undefined ? '' : `<p class="notice" role="status">${escapeHtml(state.notice)}</p>`
  const describedBy = state.error === undefined ? '' : ' aria-describedby="login-error"'
  return sendPage(reply, status, {
    lang,
    title: m.signInTitle,
    // After a login that continues a redirect check, A's own /sso/authorize redirects on to a registered B.
    formTargets: [...ctx.clients.values()].flatMap((c) => c.origins),
    body: `<h1>${escapeHtml(m.signInHeading)}</h1>
<p>${escapeHtml(m.signInHint)}</p>
${notice}${error}
<form method="post" action="/login"${describedBy}>
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="return_to" value="${escapeHtml(state.returnTo)}">
<label for="username">${escapeHtml(m.username)}</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="${escapeHtml(state.username ?? '')}"${state.username === undefined ? ' autofocus' : ''}>
<label for="password">${escapeHtml(m.password)}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024"${state.username === undefined ? '' : ' autofocus'}>
<div class="actions"><button type="submit">${escapeHtml(m.signIn)}</button></div>
</form>`
  })
}

function homePage (ctx: AuthContext, request: FastifyRequest, reply: FastifyReply, username: string, sessionCount: number): FastifyReply {
  const lang = langOf(request)
  const m = messages(lang)
  const token = ctx.csrf.issue(request, reply)
  const sites = [...ctx.clients.values()].map((c) => {
    const url = c.origins[0]!
    return `<li><a href="${escapeHtml(url + '/')}">${escapeHtml(c.name ?? c.clientId)}</a> <small>${escapeHtml(url)}</small></li>`
  }).join('\n')
  return sendPage(reply, 200, {
    lang,
    title: m.homeTitle,
    body: `<h1>${escapeHtml(m.homeTitle)}</h1>
<p>${escapeHtml(m.signedInAs)}<strong id="username">${escapeHtml(username)}</strong></p>
<p>${escapeHtml(m.sessions(sessionCount))}</p>
<div class="actions">
<form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${token}"><button type="submit" id="logout">${escapeHtml(m.signOut)}</button></form>
<form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="everywhere" value="true"><button type="submit" class="secondary" id="logout-everywhere">${escapeHtml(m.signOutEverywhere)}</button></form>
</div>
${sites === '' ? '' : `<h2>${escapeHtml(m.sites)}</h2>\n<p>${escapeHtml(m.sitesHint)}</p>\n<ul>\n${sites}\n</ul>`}`
  })
}

/** A form post's refusal is a page the person can act on; a JSON caller gets the error object. */
function formError (ctx: AuthContext, request: FastifyRequest, reply: FastifyReply, m: Messages, status: number, text: string, returnTo: string, username?: string): FastifyReply {
  return loginPage(ctx, request, reply, status, { error: text, returnTo, username })
}

/**
 * How A answers a state-changing request that the same-origin guard refused (`sameOriginGuard`'s `answer`): a
 * person's HTML form gets the login page saying so, a JSON caller the error object. A refused login is counted.
 */
export function crossSiteAnswer (ctx: AuthContext): (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined {
  return function refusedAtA (request, reply) {
    if (request.routeOptions.url === '/login') ctx.metrics.logins.inc({ outcome: 'refused' })
    if (!isFormPost(request)) return undefined
    // The body is not read for a refused request: the page goes back to A's home, not to the form's return_to.
    const m = messages(langOf(request))
    return formError(ctx, request, reply, m, 403, m.expiredForm, '/')
  }
}

export default async function accountRoutes (fastify: FastifyInstance, opts: { ctx: AuthContext }): Promise<void> {
  const { ctx } = opts

  /**
   * The same-origin guard (app.ts) has checked Origin / Sec-Fetch-Site already; HTML forms also need their CSRF
   * token, which is all an old browser that sends neither header has to show (`originCheck: 'form-token'`).
   */
  function guard (request: FastifyRequest, body: { _csrf?: string } | undefined): void {
    if (!isFormPost(request) && !isJsonPost(request)) throw new UnsupportedBody()
    if (isFormPost(request) && !ctx.csrf.verify(request, body?._csrf)) {
      logRefusal(request, 'KEFU_AUTH_CSRF')
      throw new BadCsrfToken()
    }
  }

  fastify.get('/', async function home (request, reply) {
    const user = await request.kefuSession.load()
    if (user === null) return reply.redirect('/login', 303)
    const sessions = await fastify.kefuSessions.listForUser(user.id)
    return homePage(ctx, request, reply, user.username, sessions.length)
  })

  fastify.get<{ Querystring: { return_to?: string, signed_out?: string } }>('/login', {
    schema: {
      querystring: { type: 'object', properties: { return_to: { type: 'string', maxLength: 2048 }, signed_out: { type: 'string' } } }
    }
  }, async function loginForm (request, reply) {
    const returnTo = safeReturnPath(request.query.return_to)
    const user = await request.kefuSession.load()
    if (user !== null) return reply.redirect(returnTo, 303)
    const notice = request.query.signed_out === undefined ? undefined : messages(langOf(request)).signedOut
    return loginPage(ctx, request, reply, 200, { returnTo, notice })
  })

  fastify.post<{ Body: LoginBody }>('/login', {
    config: { originCheck: 'form-token' },
    schema: {
      body: {
        type: 'object',
        required: ['username', 'password'],
        properties: {
          username: { type: 'string', minLength: 1, maxLength: 128 },
          password: { type: 'string', minLength: 1, maxLength: 4096 },
          _csrf: { type: 'string', maxLength: 128 },
          return_to: { type: 'string', maxLength: 2048 }
        }
      },
      response: { 200: userSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 415: errorSchema, 429: errorSchema, 503: errorSchema }
    }
  }, async function login (request, reply) {
    const form = isFormPost(request)
    const m = messages(langOf(request))
    const returnTo = safeReturnPath(request.body.return_to)
    try {
      guard(request, request.body)
    } catch (err) {
      ctx.metrics.logins.inc({ outcome: 'refused' })
      if (form && (err as { statusCode?: number }).statusCode === 403) return formError(ctx, request, reply, m, 403, m.expiredForm, returnTo)
      throw err
    }
    const { username, password } = request.body
    const admission = await fastify.loginLimiter.admit(username, request.ip)
    if (!admission.allowed) {
      ctx.metrics.logins.inc({ outcome: 'limited' })
      logRefusal(request, 'KEFU_AUTH_TOO_MANY_ATTEMPTS', { by: admission.by, username, ip: request.ip })
      void reply.header('retry-after', String(admission.retryAfterS))
      if (form) return formError(ctx, request, reply, m, 429, m.tooMany(Math.ceil(admission.retryAfterS / 60)), returnTo, username)
      throw new TooManyAttempts(admission.by, admission.retryAfterS)
    }
    const account = await fastify.prisma.account.findUnique({ where: { username } })
    const ok = await verifyPassword(account?.passwordHash ?? await ctx.dummyHash(), password, ctx.scrypt)
    if (account === null || !ok) {
      ctx.metrics.logins.inc({ outcome: 'bad_credentials' })
      logRefusal(request, 'KEFU_AUTH_BAD_CREDENTIALS', { username, ip: request.ip, known: account !== null })
      if (form) return formError(ctx, request, reply, m, 401, m.badCredentials, returnTo, username)
      throw new BadCredentials()
    }
    await fastify.loginLimiter.succeeded(username, request.ip)
    if (needsRehash(account.passwordHash, ctx.scrypt)) {
      await fastify.prisma.account.update({ where: { id: account.id }, data: { passwordHash: await hashPassword(password, ctx.scrypt) } })
    }
    // A new session id, and the one the request came with is destroyed (no fixation).
    await request.kefuSession.login({ id: account.id.toString(), username: account.username })
    ctx.metrics.logins.inc({ outcome: 'success' })
    request.log.info({ username: account.username, sid: request.kefuSession.handle }, 'logged in')
    if (form) return reply.redirect(returnTo, 303)
    return { username: account.username }
  })

  fastify.post<{ Body: LogoutBody | undefined }>('/logout', {
    config: { originCheck: 'form-token' },
    schema: {
      body: {
        type: 'object',
        // JSON true arrives as "true" (Fastify coerces scalars to the schema's type).
        properties: { everywhere: { type: 'string', enum: ['true', 'false'] }, _csrf: { type: 'string', maxLength: 128 } }
      },
      response: { 400: errorSchema, 403: errorSchema, 415: errorSchema, 503: errorSchema }
    }
  }, async function logout (request, reply) {
    const form = isFormPost(request)
    try {
      guard(request, request.body ?? undefined)
    } catch (err) {
      if (form && (err as { statusCode?: number }).statusCode === 403) {
        const m = messages(langOf(request))
        return formError(ctx, request, reply, m, 403, m.expiredForm, '/')
      }
      throw err
    }
    const everywhere = request.body?.everywhere === 'true'
    const user = await request.kefuSession.load()
    if (user !== null) {
      const sids = everywhere
        ? (await fastify.kefuSessions.listForUser(user.id)).map((s) => s.handle)
        : [request.kefuSession.handle!]
      await request.kefuSession.logout()
      request.log.info({ username: user.username, sessions: sids.length, everywhere }, 'logged out')
      await endLogins(fastify, ctx, request.log, user.id, sids)
    } else {
      await request.kefuSession.logout()
    }
    if (form) return reply.redirect('/login?signed_out=1', 303)
    return reply.code(204).send()
  })

  fastify.get('/me', {
    schema: { response: { 200: userSchema, 401: errorSchema, 503: errorSchema } }
  }, async function me (request, reply) {
    void reply.header('cache-control', 'no-store')
    const user = await request.kefuSession.require()
    return { username: user.username }
  })
}
