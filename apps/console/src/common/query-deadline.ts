import createError from '@fastify/error'
import type { Prisma, PrismaClient } from '@kefu/db'

/** How long one search may run (its statements together) before it is stopped. Searches take milliseconds (docs/benchmarks.md). */
export const SEARCH_TIMEOUT_MS = 5_000
/** Likewise one report: from the roll-up a 90-day report takes 0.16-0.22 s over 1 to 10 million messages, from the tables alone about 5-8 s (docs/benchmarks.md). */
export const REPORT_TIMEOUT_MS = 15_000

/** 503: the request was fine, the work it asked for took too long; the message says what to narrow. */
export const TooSlow = createError('KEFU_CONSOLE_TOO_SLOW', '%s', 503)

export type Db = Prisma.TransactionClient

/**
 * Runs `work` in one transaction that cannot hold its connection for more than `ms`:
 * - PostgreSQL stops any of its statements that runs longer (`SET LOCAL statement_timeout`, for this transaction
 *   only), whatever it waits for (rows, a lock), and the connection is free again;
 * - Prisma gives the transaction as a whole `ms` (`timeout`), so a few statements that are each short cannot add up.
 *   Embedded PostgreSQL (PGlite) takes `statement_timeout` but never fires it (it runs in this thread, where its
 *   timer cannot run until the statement is over), so there this is the only deadline: a statement runs to its
 *   end, and the next one, or the commit, is refused.
 * Either way `tooSlow` is thrown: a 503 with one line.
 * JIT is off in that transaction: these statements (a search, a report) run for milliseconds, and on a big table
 * their estimated cost passes `jit_above_cost`, so PostgreSQL would compile them first, for 100-200 ms each (3,000,000
 * messages: a search that found nothing in 7 ms took 140 ms; `pnpm bench:reports`, docs/benchmarks.md).
 */
export async function withDeadline<T> (prisma: PrismaClient, ms: number, tooSlow: string, work: (db: Db) => Promise<T>): Promise<T> {
  try {
    return await prisma.$transaction(async (tx) => {
      // SET, not SELECT set_config(…): a report then sets its isolation level, which must come before any query.
      await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(ms))}`)
      await tx.$executeRawUnsafe('SET LOCAL jit = off')
      return await work(tx)
    }, { timeout: ms })
  } catch (err) {
    const why = stopped(err)
    if (why === 'slow') throw new TooSlow(tooSlow)
    if (why === 'busy') throw new TooSlow('the database is busy: no connection came free in time; try again in a moment')
    throw err
  }
}

type Loose = Error & { code?: unknown, meta?: { timeout?: unknown, driverAdapterError?: { cause?: { code?: unknown } } } }

/**
 * slow: PostgreSQL's 57014 (query_canceled: statement_timeout, as nothing else cancels these statements), or Prisma's
 * P2028 for a transaction that expired (it says how long it had); busy: P2028 for a transaction that never started
 * (no connection within Prisma's `maxWait`) (https://www.prisma.io/docs/orm/reference/error-reference#p2028).
 */
function stopped (err: unknown): 'slow' | 'busy' | null {
  if (!(err instanceof Error)) return null
  const e = err as Loose
  if (e.code === 'P2028') {
    if (typeof e.meta?.timeout === 'number') return 'slow'
    if (e.message.includes('Unable to start a transaction')) return 'busy'
    return null
  }
  return e.meta?.driverAdapterError?.cause?.code === '57014' ? 'slow' : null
}
