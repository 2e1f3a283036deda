// Which errors mean "a backing service is away" (503), and what the error handler answers and logs for them.
// PostgreSQL's errors are the shapes Prisma 7, @prisma/adapter-pg and node-postgres produced when a TCP proxy in front
// of a real PostgreSQL was cut (reset), closed (refused) or black-holed (connect timeout), and when an administrator
// terminated the backend; the apps' outage tests meet the real ones. Redis errors are real: a proxy is cut here.
import { once } from 'node:events'
import { Writable } from 'node:stream'
import t from 'tap'
import Fastify from 'fastify'
import { ClientOfflineError, ErrorReply, SocketClosedUnexpectedlyError } from 'redis'
import { createRedisClient, installErrorHandler, isUnavailable, unavailability, UNAVAILABLE_MESSAGE } from '../src/index.js'
import { createTcpProxy } from '../src/testing/index.js'

/** A Prisma error as the client throws it (class name and fields as Prisma 7.10 sets them). */
function prismaError (code: string, message: string, meta?: object): Error {
  class PrismaClientKnownRequestError extends Error {
    code = code
    meta = meta
    clientVersion = '7.10.1'
    override name = 'PrismaClientKnownRequestError'
  }
  return new PrismaClientKnownRequestError(message)
}

function driverAdapterError (cause: object): Error {
  return Object.assign(new Error(String((cause as { kind: string }).kind)), { name: 'DriverAdapterError', cause })
}

t.test('PostgreSQL out of reach, as Prisma and node-postgres report it: unavailable, backing "database"', async (t) => {
  const cases: Array<[string, Error]> = [
    ['P1001 (model query, server refused)', prismaError('P1001', '\nInvalid `prisma.account.findMany()` invocation:\n\n\nCan\'t reach database server at 127.0.0.1:5432', { driverAdapterError: driverAdapterError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }) })],
    ['P2010 raw query with DatabaseNotReachable inside', prismaError('P2010', 'Raw query failed. Code: `N/A`. Message: `Can\'t reach database server at 127.0.0.1:5432`', { driverAdapterError: driverAdapterError({ kind: 'DatabaseNotReachable' }) })],
    ['P2010 raw query, backend terminated by an administrator (57P01)', prismaError('P2010', 'Raw query failed. Code: `57P01`.', { driverAdapterError: driverAdapterError({ kind: 'postgres', code: '57P01', severity: 'FATAL' }) })],
    ['P2024 pool timeout', prismaError('P2024', 'Timed out fetching a new connection from the connection pool.')],
    ['P1017 server closed the connection', prismaError('P1017', 'Server has closed the connection.')],
    ['DriverAdapterError ConnectionClosed', driverAdapterError({ kind: 'ConnectionClosed' })],
    ['DriverAdapterError TooManyConnections', driverAdapterError({ kind: 'TooManyConnections', cause: 'sorry, too many clients already' })],
    ['node-postgres: connection terminated (reset)', Object.assign(new Error('Connection terminated unexpectedly'), { clientVersion: '7.10.1' })],
    ['node-postgres: connect timeout, with its cause', new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') })],
    ['pg-pool: no connection within connectionTimeoutMillis', new Error('timeout exceeded when trying to connect')],
    ['a pg DatabaseError: cannot connect now (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03', severity: 'FATAL' })],
    ['a pg DatabaseError: connection exception class 08', Object.assign(new Error('connection failure'), { code: '08006', severity: 'FATAL' })]
  ]
  for (const [what, err] of cases) t.equal(unavailability(err)?.backing, 'database', what)
  t.equal(unavailability(cases[0]![1])?.reason, 'Invalid `prisma.account.findMany()` invocation:', 'the reason is the first line that says something')
})

t.test('wrapped, aggregated and already-503 errors', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect', errno: -111 })
  t.equal(unavailability(new Error('outer', { cause: new Error('middle', { cause: new ClientOfflineError() }) }))?.backing, 'redis', 'the cause chain is walked')
  t.equal(unavailability(new TypeError('fetch failed', { cause: refused }))?.backing, 'network', 'a socket refused under a library error')
  t.equal(unavailability(Object.assign(new AggregateError([refused, refused]), { code: 'ECONNREFUSED' }))?.backing, 'network', 'localhost over IPv4 and IPv6')
  const sessionDown = Object.assign(new Error('Session store unavailable, try again shortly', { cause: new SocketClosedUnexpectedlyError() }), { statusCode: 503, code: 'KEFU_SESSION_STORE_UNAVAILABLE' })
  t.same(unavailability(sessionDown), { backing: 'redis', reason: 'Socket closed unexpectedly' }, 'a 503 of a package: the reason underneath')
  t.same(unavailability(Object.assign(new Error('The account site cannot be reached'), { statusCode: 503 })), { backing: null, reason: 'The account site cannot be reached' }, 'a 503 of its own')
  const loop = new Error('loop') as Error & { cause?: unknown }
  loop.cause = loop
  t.equal(unavailability(loop), null, 'a cycle ends')
})

t.test('bugs and refusals are not outages', async (t) => {
  class QueryTimeoutError extends Error {}
  const cases: Array<[string, unknown]> = [
    ['a plain error', new Error('boom')],
    ['a unique violation', prismaError('P2002', 'Unique constraint failed', { driverAdapterError: driverAdapterError({ kind: 'UniqueConstraintViolation' }) })],
    ['a syntax error in raw SQL', prismaError('P2010', 'Raw query failed. Code: `42601`.', { driverAdapterError: driverAdapterError({ kind: 'postgres', code: '42601', severity: 'ERROR' }) })],
    ['pg-like message on another class', new QueryTimeoutError('Connection terminated unexpectedly')],
    ['a Redis reply error', new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a Prisma-like code on a non-Prisma error', Object.assign(new Error('x'), { code: 'P1001' })],
    ['a 502 from an upstream, whatever its cause', Object.assign(new Error('WeChat failed'), { statusCode: 502, cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) })],
    ['not an error', 'ECONNREFUSED']
  ]
  for (const [what, err] of cases) t.equal(isUnavailable(err), false, what)
  t.equal(unavailability(new ErrorReply('LOADING Redis is loading the dataset in memory'))?.backing, 'redis', 'but LOADING is Redis not ready yet')
  for (const reply of ['MOVED 3999 127.0.0.1:7102', 'ASK 3999 127.0.0.1:7102', 'CLUSTERDOWN The cluster is down', 'TRYAGAIN Multiple keys request during rehashing of slot']) {
    t.same(unavailability(new ErrorReply(reply)), { backing: 'redis', reason: reply }, `a cluster's ${reply.split(' ')[0]}`)
  }
  t.equal(isUnavailable(new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot")), false, 'CROSSSLOT is a bug, not an outage')
})

t.test('real node-redis errors while Redis is cut, and after the client is closed', { skip: process.env.REDIS_URL === undefined && 'REDIS_URL is not set (embedded run)' }, async (t) => {
  const proxy = await createTcpProxy(process.env.REDIS_URL!)
  t.teardown(proxy.close)
  const client = await createRedisClient(proxy.url)
  const name = `kefu-test-unavailable-${process.pid}-${Date.now()}`
  await client.clientSetName(name)
  const inFlight = client.sendCommand(['BLPOP', `kefu:test:${name}`, '30']).then(() => null, (err: unknown) => err)
  // Cut only once Redis is blocked in the BLPOP: the command is in flight, not waiting to be written.
  const watcher = await createRedisClient(process.env.REDIS_URL!)
  while (!String(await watcher.sendCommand(['CLIENT', 'LIST'])).split('\n').some((l) => l.includes(`name=${name} `) && l.includes('cmd=blpop'))) {
    await new Promise((resolve) => setImmediate(resolve))
  }
  watcher.destroy()
  await proxy.cut('reset')
  const errors: unknown[] = [await inFlight]
  errors.push(await client.get('x').catch((err: unknown) => err))
  errors.push(await client.eval('return 1', { keys: ['k'], arguments: [] }).catch((err: unknown) => err))
  await proxy.cut('refuse')
  errors.push(await client.multi().get('a').exec().catch((err: unknown) => err))
  await proxy.restore()
  if (!client.isReady) await once(client, 'ready')
  t.equal(await client.ping(), 'PONG', 'back by itself')
  client.destroy()
  errors.push(await client.get('x').catch((err: unknown) => err))
  const names = errors.map((e) => (e as Error).constructor.name)
  t.same([names[0], names[1], names[2], names[4]], ['SocketClosedUnexpectedlyError', 'ClientOfflineError', 'ClientOfflineError', 'ClientClosedError'])
  // A MULTI while the client reconnects fails with the socket's own error (connect ECONNRESET) or ClientOfflineError.
  t.same(errors.map((e) => unavailability(e)?.backing ?? null), ['redis', 'redis', 'redis', names[3] === 'ClientOfflineError' ? 'redis' : 'network', 'redis'])
})

interface Line { level: number, msg: string, code?: string, backing?: string, reason?: string, err?: unknown }

async function appThrowing (t: Tap, make: () => unknown) {
  const logs: Line[] = []
  const stream = new Writable({ write (chunk: Buffer, _e, done) { for (const l of chunk.toString().split('\n')) if (l !== '') logs.push(JSON.parse(l)); done() } })
  const app = Fastify({ logger: { level: 'info', stream } })
  installErrorHandler(app, 'KEFU_TEST')
  app.all('/fail', async () => { throw make() })
  t.teardown(() => app.close())
  return { app, logs }
}
type Tap = { teardown: (fn: () => unknown) => void }

t.test('the error handler: an outage is 503 <PREFIX>_UNAVAILABLE in one line, logged once at warn without a stack', async (t) => {
  const { app, logs } = await appThrowing(t, () => prismaError('P1001', '\nInvalid `prisma.account.findUnique()` invocation:\n\nCan\'t reach database server at db.internal:5432'))
  const res = await app.inject('/fail')
  t.equal(res.statusCode, 503)
  t.same(res.json(), { statusCode: 503, code: 'KEFU_TEST_UNAVAILABLE', error: 'Service Unavailable', message: UNAVAILABLE_MESSAGE })
  const lines = logs.filter((l) => l.level >= 40)
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], { level: 40, msg: UNAVAILABLE_MESSAGE, code: 'KEFU_TEST_UNAVAILABLE', backing: 'database', reason: 'Invalid `prisma.account.findUnique()` invocation:' })
  t.equal(lines[0]!.err, undefined, 'no error object, no stack')
})

t.test('the error handler: a package\'s own 503 keeps its code and message; its cause is logged', async (t) => {
  const { app, logs } = await appThrowing(t, () => Object.assign(new Error('Session store unavailable, try again shortly', { cause: new ClientOfflineError() }), { statusCode: 503, code: 'KEFU_SESSION_STORE_UNAVAILABLE' }))
  const res = await app.inject('/fail')
  t.same(res.json(), { statusCode: 503, code: 'KEFU_SESSION_STORE_UNAVAILABLE', error: 'Service Unavailable', message: 'Session store unavailable, try again shortly' })
  t.match(logs.filter((l) => l.level >= 40), [{ level: 40, code: 'KEFU_SESSION_STORE_UNAVAILABLE', backing: 'redis', reason: 'The client is offline' }])
})

t.test('the error handler: a bug is still 500, logged at error with its stack, details hidden', async (t) => {
  const { app, logs } = await appThrowing(t, () => new Error('secret detail'))
  const res = await app.inject('/fail')
  t.same(res.json(), { statusCode: 500, code: 'KEFU_TEST_INTERNAL', error: 'Internal Server Error', message: 'internal error' })
  t.match(logs.filter((l) => l.level >= 40), [{ level: 50, msg: 'request failed', err: { message: 'secret detail' } }])
})

t.test('the error handler: a browser navigating gets a 503 page in its language; scripts get JSON', async (t) => {
  const { app } = await appThrowing(t, () => new ClientOfflineError())
  const zh = await app.inject({ url: '/fail?x=1', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
  t.equal(zh.statusCode, 503)
  t.match(zh.headers['content-type'], /^text\/html/)
  t.match(zh.body, /<html lang="zh-CN">/)
  t.match(zh.body, /服务暂时不可用/)
  t.match(zh.body, /<a href="\/fail\?x=1">/, 'a link to try the same address again')
  t.match(zh.headers['content-security-policy'], /default-src 'none'/)
  const en = await app.inject({ method: 'POST', url: '/fail', headers: { 'sec-fetch-mode': 'navigate', 'accept-language': 'en-GB,en;q=0.9', 'content-type': 'application/json' }, payload: '{}' })
  t.equal(en.statusCode, 503)
  t.match(en.body, /<html lang="en">/)
  t.match(en.body, /Service unavailable/)
  t.match(en.body, /<a href="\/">/, 'a form post starts over from home')
  const offsite = await app.inject({ url: '//evil.example/fail', headers: { accept: 'text/html' } })
  t.notMatch(offsite.body, /href="\/\/evil/, 'never a link off the site')
  const script = await app.inject({ url: '/fail', headers: { 'sec-fetch-mode': 'cors', accept: 'text/html' } })
  t.equal(script.json().code, 'KEFU_TEST_UNAVAILABLE', 'a fetch() gets the JSON error')
})
