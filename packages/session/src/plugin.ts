import fastifyCookie, { Signer } from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { SessionConfigError } from './errors.js'
import { RequestSession, type SessionContext } from './request-session.js'
import type { HandleState, SessionLimits, SessionStore, SessionSummary } from './store.js'

export interface KefuSessionOptions {
  /** `createRedisStore(...)` or `createMemoryStore(...)`; its prefix is this app's namespace. */
  store: SessionStore
  /** Cookie signing secret(s), each at least 32 characters; the first signs, the others still verify (rotation). */
  secret: string | readonly string[]
  /** This app's cookie name (each app its own). Over HTTPS the cookie is `__Host-<cookieName>`. */
  cookieName: string
  /** Default 1800 (SESSION_IDLE_TIMEOUT_S). */
  idleTimeoutS?: number
  /** Default 43200 (SESSION_ABSOLUTE_TIMEOUT_S). */
  absoluteTimeoutS?: number
  /**
   * `'auto'` (default): Secure and `__Host-` exactly when `request.protocol === 'https'` (set `trustProxy` behind a
   * proxy). Every response on which the cookie is Secure carries `Strict-Transport-Security`.
   */
  secure?: 'auto' | boolean
  /** Milliseconds since the epoch; the one clock every expiry decision uses. Default `Date.now`. */
  clock?: () => number
  /**
   * The cookie's Max-Age: `'idle'` (default) rolls with the idle limit from each request; `'absolute'` lasts until
   * the absolute deadline. Use `'absolute'` when the idle clock also moves from elsewhere (`touchHandle` with
   * activity reported by another site), so the browser keeps the cookie as long as the session may live; the
   * server decides either way.
   */
  cookieLifetime?: 'idle' | 'absolute'
}

/** App-level operations bound to this app's store, limits and clock: `fastify.kefuSessions`. */
export interface SessionManager {
  readonly store: SessionStore
  readonly limits: SessionLimits
  /** Live sessions of a user, oldest first. */
  listForUser (userId: string): Promise<SessionSummary[]>
  /** Logs the user out everywhere (in this app); resolves to how many sessions were live. */
  destroyAllForUser (userId: string): Promise<number>
  /**
   * A session of `userId` known by its handle: `null` unless live now. With `activityAt` (milliseconds), activity
   * reported from elsewhere moves its last-seen forward to that time (never backward, never past now).
   */
  touchHandle (handle: string, userId: string, activityAt?: number | null): Promise<HandleState | null>
  /** Ends one session of `userId` known by its handle; `true` when it existed. */
  destroyHandle (handle: string, userId: string): Promise<boolean>
}

declare module 'fastify' {
  interface FastifyRequest {
    kefuSession: RequestSession
  }
  interface FastifyInstance {
    kefuSessions: SessionManager
    requireSession: typeof requireSession
  }
}

/**
 * preHandler for routes that need a logged-in user: 401 `KEFU_SESSION_REQUIRED` without one,
 * 503 `KEFU_SESSION_STORE_UNAVAILABLE` when the store cannot be asked. Never lets a request through on doubt.
 */
export async function requireSession (request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  await request.kefuSession.require()
}

/**
 * A site whose session cookie is Secure is an HTTPS site: the browser is told to reach it only over HTTPS for a year
 * (RFC 6797), so that no plain-HTTP first request can be intercepted and downgraded. Without includeSubDomains: other
 * hosts under the same domain are not ours to decide for.
 */
const STRICT_TRANSPORT_SECURITY = 'max-age=31536000'

const COOKIE_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function positiveSeconds (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new SessionConfigError(`@kefu/session option ${name} must be a positive integer number of seconds, got ${JSON.stringify(value)}`)
  }
  return value
}

function resolveContext (fastify: FastifyInstance, opts: KefuSessionOptions): SessionContext {
  const store = opts.store
  if (store == null || typeof store.touch !== 'function') {
    throw new SessionConfigError('@kefu/session option store is required (createRedisStore or createMemoryStore)')
  }
  const secrets = typeof opts.secret === 'string' ? [opts.secret] : opts.secret
  if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
    throw new SessionConfigError('@kefu/session option secret must be a string (or strings) of at least 32 characters')
  }
  const cookieName = opts.cookieName
  if (typeof cookieName !== 'string' || !COOKIE_NAME_RE.test(cookieName) || /^__(host|secure)-/i.test(cookieName)) {
    throw new SessionConfigError(`@kefu/session option cookieName must be a cookie token without a __Host-/__Secure- prefix, got ${JSON.stringify(cookieName)}`)
  }
  const idleS = positiveSeconds('idleTimeoutS', opts.idleTimeoutS, 1800)
  const absoluteS = positiveSeconds('absoluteTimeoutS', opts.absoluteTimeoutS, 43200)
  if (idleS > absoluteS) {
    throw new SessionConfigError(`@kefu/session option idleTimeoutS (${idleS}) must not exceed absoluteTimeoutS (${absoluteS})`)
  }
  const secure = opts.secure ?? 'auto'
  if (secure !== 'auto' && typeof secure !== 'boolean') {
    throw new SessionConfigError(`@kefu/session option secure must be 'auto', true or false, got ${JSON.stringify(secure)}`)
  }
  const clock = opts.clock ?? Date.now
  if (typeof clock !== 'function') throw new SessionConfigError('@kefu/session option clock must be a function returning milliseconds')
  const cookieLifetime = opts.cookieLifetime ?? 'idle'
  if (cookieLifetime !== 'idle' && cookieLifetime !== 'absolute') {
    throw new SessionConfigError(`@kefu/session option cookieLifetime must be 'idle' or 'absolute', got ${JSON.stringify(cookieLifetime)}`)
  }
  return {
    store,
    limits: { idleMs: idleS * 1000, absoluteMs: absoluteS * 1000 },
    now: () => Math.floor(clock()),
    signer: new Signer(secrets as string[], 'sha256'),
    cookieName,
    secure,
    cookieLifetime,
    parseCookie: (header) => fastify.parseCookie(header)
  }
}

async function kefuSessionPlugin (fastify: FastifyInstance, opts: KefuSessionOptions): Promise<void> {
  const ctx = resolveContext(fastify, opts)
  if (!fastify.hasPlugin('@fastify/cookie')) await fastify.register(fastifyCookie)

  const manager: SessionManager = {
    store: ctx.store,
    limits: ctx.limits,
    listForUser: (userId) => ctx.store.listForUser(userId, ctx.now(), ctx.limits),
    destroyAllForUser: (userId) => ctx.store.destroyAllForUser(userId, ctx.now(), ctx.limits),
    touchHandle: (handle, userId, activityAt = null) => ctx.store.touchHandle(handle, userId, activityAt, ctx.now(), ctx.limits),
    destroyHandle: (handle, userId) => ctx.store.destroyHandle(handle, userId)
  }
  fastify.decorate('kefuSessions', manager)
  fastify.decorate('requireSession', requireSession)
  fastify.decorateRequest('kefuSession', null as unknown as RequestSession)
  fastify.addHook('onRequest', function kefuSessionOnRequest (request, reply, done) {
    request.kefuSession = new RequestSession(ctx, request, reply)
    if (request.kefuSession.secure) reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY)
    done()
  })
}

/** The Fastify plugin. Registers `@fastify/cookie` (for parsing and Set-Cookie) unless the app already did. */
export const kefuSession = fp(kefuSessionPlugin, { fastify: '5.x', name: '@kefu/session' })
