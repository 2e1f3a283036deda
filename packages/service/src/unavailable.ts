import {
  ClientClosedError, ClientOfflineError, ConnectionTimeoutError, DisconnectsClientError, ErrorReply, ReconnectStrategyError,
  RootNodesUnavailableError, SocketClosedUnexpectedlyError, SocketTimeoutError, TimeoutError
} from 'redis'

/** Which backing service an unavailability error came from; null when it carried a 503 of its own. */
export type Backing = 'redis' | 'database' | 'network' | null

export interface Unavailability {
  backing: Backing
  /** The first line of the error that says so, for the log (never for the client). */
  reason: string
}

/** What a client is told while a backing service is away. */
export const UNAVAILABLE_MESSAGE = 'a backing service (database or Redis) is unavailable, try again shortly'

// node-redis: the client is offline or closed, its socket dropped or timed out, a command timed out, it gave up
// reconnecting. Checked by class; by constructor name too, for errors from a second copy of the library.
const REDIS_CLASSES: ReadonlyArray<new (...args: any[]) => Error> = [
  ClientOfflineError, ClientClosedError, DisconnectsClientError, SocketClosedUnexpectedlyError, ConnectionTimeoutError,
  SocketTimeoutError, TimeoutError, ReconnectStrategyError, RootNodesUnavailableError
]
const REDIS_NAMES = new Set([
  'ClientOfflineError', 'ClientClosedError', 'DisconnectsClientError', 'SocketClosedUnexpectedlyError', 'ConnectionTimeoutError',
  'SocketTimeoutError', 'ReconnectStrategyError', 'RootNodesUnavailableError', 'SocketTimeoutDuringMaintenanceError',
  'CommandTimeoutDuringMaintenanceError'
])
// Redis error replies meaning "not now": the code is the first word of the reply (https://redis.io/docs/latest/develop/reference/protocol-spec/#simple-errors).
// MOVED and ASK reach the caller only when a cluster's slots keep moving past the client's redirection limit, or
// when a client of one server (REDIS_URL) was pointed at a cluster node (REDIS_CLUSTER_URLS is what it needs): the
// log line says which, the client gets a 503, never a 500.
const REDIS_REPLY_CODES = new Set(['LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'BUSY', 'MOVED', 'ASK'])

// Prisma: P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 server closed the connection,
// P2024 timed out waiting for a pool connection (https://www.prisma.io/docs/orm/reference/error-reference).
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024'])
// @prisma/adapter-pg's DriverAdapterError kinds for a server that cannot be used.
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'])
// SQLSTATE: class 08 connection exception; 57P01–57P03 admin/crash shutdown, cannot connect now; 53300 too many
// connections (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])
// node-postgres and pg-pool throw these as plain Errors, with neither a class nor a code of their own: the message
// is all there is, so it is matched exactly (pg/lib/client.js, pg-pool/index.js).
const PG_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable'
])
// Socket errors of Node itself (a server refused, reset or never answered), whatever the client library.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])

type Loose = Error & { code?: unknown, errorCode?: unknown, statusCode?: unknown, meta?: unknown, kind?: unknown, severity?: unknown }

function firstLine (err: Error): string {
  return (err.message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? err.constructor.name).slice(0, 300)
}

function sqlstate (code: unknown): boolean {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && (code.startsWith('08') || SQLSTATES.has(code))
}

/** A DriverAdapterError's `cause` ({ kind, code, … }), or a plain object of that shape inside Prisma's meta. */
function adapterCause (value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const { kind, code } = value as { kind?: unknown, code?: unknown }
  return (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) || (kind === 'postgres' && sqlstate(code))
}

function classify (err: Loose): Backing | undefined {
  if (REDIS_CLASSES.some((c) => err instanceof c) || REDIS_NAMES.has(err.constructor.name)) return 'redis'
  if (err instanceof ErrorReply && REDIS_REPLY_CODES.has(err.message.split(' ')[0] ?? '')) return 'redis'
  const prismaCode = typeof err.code === 'string' ? err.code : err.errorCode
  if (typeof prismaCode === 'string' && PRISMA_CODES.has(prismaCode) && /^Prisma/.test(err.name)) return 'database'
  if (err.name === 'DriverAdapterError' && adapterCause(err.cause)) return 'database'
  if (typeof err.severity === 'string' && sqlstate(err.code)) return 'database'
  if (err.constructor === Error && PG_MESSAGES.has(err.message)) return 'database'
  if (typeof err.code === 'string' && SOCKET_CODES.has(err.code)) return 'network'
  return undefined
}

/** What an error wraps: its cause, Prisma's driver adapter error, an AggregateError's errors, node-redis' socket error. */
function inner (err: Loose): unknown[] {
  const found: unknown[] = [err.cause]
  const meta = err.meta as { driverAdapterError?: unknown } | undefined
  if (typeof meta === 'object' && meta !== null) found.push(meta.driverAdapterError)
  if (err instanceof AggregateError) found.push(...err.errors)
  if (err instanceof ReconnectStrategyError) found.push(err.socketError, err.originalError)
  return found
}

/**
 * Whether an error means that a backing service (PostgreSQL, Redis, another service) cannot be used right now, and
 * which: node-redis' offline, closed, dropped and timed-out clients; PostgreSQL that cannot be reached, closed the
 * connection, is shutting down or has no connection to give, as Prisma, its pg adapter or node-postgres report it
 * (its cause chain is walked, except below an error that chose a status of its own other than 500); and the
 * packages' own errors that already carry statusCode 503. Null otherwise.
 */
export function unavailability (err: unknown): Unavailability | null {
  const seen = new Set<unknown>()
  const queue: unknown[] = [err]
  let carries503: Unavailability | null = null
  while (queue.length > 0 && seen.size < 32) {
    const e = queue.shift()
    if (!(e instanceof Error) || seen.has(e)) continue
    seen.add(e)
    const loose = e as Loose
    const backing = classify(loose)
    if (backing !== undefined) return { backing, reason: firstLine(e) }
    if (carries503 === null && loose.statusCode === 503) carries503 = { backing: null, reason: firstLine(e) }
    // An error that decided its own status (a 502 for WeChat unreachable, a 4xx) is not looked into.
    if (typeof loose.statusCode === 'number' && loose.statusCode !== 503 && loose.statusCode !== 500) continue
    queue.push(...inner(loose))
  }
  return carries503
}

export function isUnavailable (err: unknown): boolean {
  return unavailability(err) !== null
}
