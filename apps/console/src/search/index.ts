// Search over every message: the index the worker writes (@kefu/history's HistoryIndexer, tokens from its
// search-tokens.ts), the query (search.ts) and GET /api/search (routes.ts), at most so many a minute per agent.
import type { FastifyInstance } from 'fastify'
import { createMemoryRateLimiter, createRedisRateLimiter } from '../common/rate-limit.js'
import searchRoutes, { SEARCHES_PER_MINUTE } from './routes.js'

export interface SearchOptions {
  /** Searches per agent per minute (default SEARCHES_PER_MINUTE), counted across instances with Redis. */
  perMinute?: number
  /** How long one search may hold its database connection (default SEARCH_TIMEOUT_MS). */
  timeoutMs?: number
  /** Redis keys of this console start with it. */
  redisPrefix: string
  now: () => number
}

export default async function messageSearch (fastify: FastifyInstance, opts: SearchOptions): Promise<void> {
  const perMinute = opts.perMinute ?? SEARCHES_PER_MINUTE
  const limiter = fastify.redis === null
    ? createMemoryRateLimiter(perMinute, 60_000, opts.now)
    : createRedisRateLimiter(fastify.redis, opts.redisPrefix + 'searches:', perMinute, 60_000)
  await fastify.register(searchRoutes, { limiter, perMinute, timeoutMs: opts.timeoutMs })
}

export { search, type SearchFilters } from './search.js'
export { SEARCHES_PER_MINUTE } from './routes.js'
