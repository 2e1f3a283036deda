import fp from 'fastify-plugin'
import { createMemoryStore, createRedisStore, instrumentStore, kefuSession } from '@kefu/session'
import { commandClient, sessionStoreErrors } from '@kefu/service'
import { createMemoryLoginLimiter, createRedisLoginLimiter, type LoginLimiter, type LoginLimits } from '../lib/login-limiter.js'
import { createMemoryTicketStore, createRedisTicketStore, type TicketStore } from '../lib/ticket-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    tickets: TicketStore
    loginLimiter: LoginLimiter
  }
}

export interface AuthSessionOptions {
  /** SESSION_SECRET (one or several for rotation), each ≥ 32 characters. */
  secret: string | string[]
  idleTimeoutS?: number
  absoluteTimeoutS?: number
  /** Default 'kefu_auth'. */
  cookieName?: string
  secure?: 'auto' | boolean
}

export interface StoresOptions {
  /** Namespace of every key this app writes in Redis, e.g. `kefu:auth:`. */
  redisPrefix: string
  session: AuthSessionOptions
  loginLimits: LoginLimits
  now: () => number
}

/**
 * Sessions, tickets and login counters: in Redis when the app has a client (shared by every instance), in this
 * process otherwise (embedded mode, one instance).
 */
export default fp<StoresOptions>(async function stores (fastify, opts) {
  const redis = fastify.redis
  const plain = redis === null
    ? createMemoryStore({ prefix: opts.redisPrefix + 'session:' })
    : await createRedisStore({ client: commandClient(redis), prefix: opts.redisPrefix + 'session:' })
  const store = instrumentStore(plain, sessionStoreErrors(fastify.metrics, plain.kind))
  await fastify.register(kefuSession, {
    store,
    secret: opts.session.secret,
    cookieName: opts.session.cookieName ?? 'kefu_auth',
    idleTimeoutS: opts.session.idleTimeoutS,
    absoluteTimeoutS: opts.session.absoluteTimeoutS,
    secure: opts.session.secure,
    clock: opts.now,
    // Activity on B sites moves the login's idle clock too: the browser keeps A's cookie until the absolute limit.
    cookieLifetime: 'absolute'
  })
  fastify.decorate('tickets', redis === null ? createMemoryTicketStore(opts.now) : createRedisTicketStore(redis, opts.redisPrefix + 'sso:', opts.now))
  fastify.decorate('loginLimiter', redis === null
    ? createMemoryLoginLimiter(opts.loginLimits, opts.now)
    : createRedisLoginLimiter(redis, opts.redisPrefix + 'login:', opts.loginLimits, opts.now))
}, { name: 'kefu-auth-stores', dependencies: ['kefu-redis', 'kefu-metrics'] })
