import type { FastifyInstance } from 'fastify'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import { databasePlugin } from '@kefu/db'
import { healthRoutes, installErrorHandler, metricsPlugin, redirectToPublicUrl, redisPlugin, sameOriginGuard } from '@kefu/service'
import type { AuthContext } from './lib/context.js'
import { DEFAULT_LOGIN_LIMITS } from './lib/login-limiter.js'
import { authMetrics } from './lib/metrics.js'
import { createDummyHash, DEFAULT_SCRYPT } from './lib/password.js'
import { presenceCookieName, installPresenceCookie } from './lib/presence.js'
import { CsrfTokens } from './lib/request-guard.js'
import passwordResets from './plugins/password-resets.js'
import stores from './plugins/stores.js'
import accountRoutes, { crossSiteAnswer } from './routes/account.js'
import ssoRoutes from './routes/sso.js'
import type { AuthOptions } from './options.js'

export default async function authApp (fastify: FastifyInstance, opts: AuthOptions): Promise<void> {
  const now = opts.now ?? Date.now
  const origin = new URL(opts.publicUrl).origin
  const ticketTtlS = opts.ticketTtlS ?? 30
  if (!Number.isInteger(ticketTtlS) || ticketTtlS < 1 || ticketTtlS > 60) throw new RangeError('@kefu/auth option ticketTtlS must be 1 to 60 seconds')
  const secrets = typeof opts.session.secret === 'string' ? [opts.session.secret] : opts.session.secret
  const scrypt = opts.scrypt ?? DEFAULT_SCRYPT
  let dummy: Promise<string> | undefined
  await fastify.register(metricsPlugin, { metrics: opts.metrics })
  const cookieBase = opts.session.cookieName ?? 'kefu_auth'
  const ctx: AuthContext = {
    origin,
    cookiesReach: (request) => request.cookies[presenceCookieName(request, cookieBase)] !== undefined,
    clients: new Map(opts.clients.map((c) => [c.clientId, c])),
    csrf: new CsrfTokens(secrets[0] ?? '', cookieBase + '_csrf'),
    ticketTtlMs: ticketTtlS * 1000,
    scrypt,
    dummyHash: () => (dummy ??= createDummyHash(scrypt)),
    backChannelTimeoutMs: opts.backChannelTimeoutMs ?? 2000,
    now,
    fetch: opts.fetch ?? fetch,
    metrics: authMetrics(fastify.metrics)
  }
  installErrorHandler(fastify, 'KEFU_AUTH')
  redirectToPublicUrl(fastify, origin)
  // Fastify's own refusals (unsupported media type, schema validation) are logged too, once, with their code.
  fastify.addHook('onError', async function logRejection (request, _reply, err) {
    if (err.code?.startsWith('FST_') === true && (err.statusCode ?? 500) < 500) {
      request.log.info({ code: err.code, method: request.method, path: request.url.split('?')[0] }, 'rejected')
    }
  })

  await fastify.register(cookie)
  // Every state-changing request from A's own pages only; after the cookie parser, since a refused form gets a page
  // with a fresh CSRF token.
  sameOriginGuard(fastify, { origin, code: 'KEFU_AUTH_CROSS_SITE', answer: crossSiteAnswer(ctx) })
  // Bodies are JSON or HTML forms; text/plain (what a cross-site form can send without a preflight) is 415.
  fastify.removeContentTypeParser('text/plain')
  await fastify.register(formbody, { bodyLimit: 16 * 1024 })
  await fastify.register(databasePlugin, opts)
  await fastify.register(redisPlugin, opts)
  await fastify.register(stores, {
    redisPrefix: opts.redisPrefix ?? 'kefu:auth:',
    session: opts.session,
    loginLimits: opts.loginLimits ?? DEFAULT_LOGIN_LIMITS,
    now
  })
  // The dummy hash is made once, before the first login needs it.
  fastify.addHook('onReady', async () => { await ctx.dummyHash() })

  installPresenceCookie(fastify, cookieBase)

  await fastify.register(passwordResets, { ctx, pollMs: opts.passwordResetPollMs ?? 2000 })

  await fastify.register(healthRoutes, { ready: async () => { await fastify.prisma.$queryRawUnsafe('SELECT 1') }, favicon: true })
  await fastify.register(accountRoutes, { ctx })
  await fastify.register(ssoRoutes, { ctx })
}

export type { AuthOptions } from './options.js'
export { appOptions, loadConfig, readSsoClients, serverOptions, type AuthConfig } from './config.js'
export { parseSsoClients, type SsoClient } from './lib/clients.js'
export { upsertAccount, accountProblem } from './lib/accounts.js'
export { hashPassword, verifyPassword, DEFAULT_SCRYPT, type ScryptParams } from './lib/password.js'
export type { LoginLimits } from './lib/login-limiter.js'
export type { AuthSessionOptions } from './plugins/stores.js'
