// The customer panel: tags and a note on the customer (customer.ts), their profile from the mini program's own
// server (profile-lookup.ts), and the routes of both (routes.ts).
import fp from 'fastify-plugin'
import type { MiniProgramLookup } from '../common/mini-programs.js'
import { registerUncached } from '../common/uncached.js'
import { CustomerStore } from './customer.js'
import { ProfileLookup } from './profile-lookup.js'
import customerRoutes from './routes.js'

declare module 'fastify' {
  interface FastifyInstance {
    customers: CustomerStore
    profileLookup: ProfileLookup
  }
}

export interface CustomerOptions {
  apps: MiniProgramLookup
  /** Key prefix for what the console keeps in Redis (profile answers). */
  redisPrefix: string
  /** Customer-profile lookups: longest wait (default 1500 ms) and how long answers are kept (default 300 s). */
  profileTimeoutMs?: number
  profileCacheS?: number
  fetch?: typeof fetch
  now: () => number
}

export default fp<CustomerOptions>(async function customer (fastify, opts) {
  fastify.decorate('customers', new CustomerStore(fastify.prisma))
  fastify.decorate('profileLookup', new ProfileLookup({
    apps: opts.apps,
    redis: fastify.redis,
    redisPrefix: opts.redisPrefix + 'profile:',
    timeoutMs: opts.profileTimeoutMs,
    cacheS: opts.profileCacheS,
    fetch: opts.fetch,
    now: opts.now,
    logger: fastify.log
  }))
  await registerUncached(fastify, customerRoutes)
}, { name: 'kefu-console-customer', dependencies: ['kefu-console-agent'] })
