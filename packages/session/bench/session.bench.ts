// Authenticated GET throughput: @kefu/session on Redis versus @fastify/session with a plain Redis store
// (JSON GET / SET with TTL, the connect-redis way). Same process, same route, same load, same Redis, one after
// the other, twice, after a warm-up. Redis commands per request come from INFO commandstats deltas.
//   pnpm bench:session            (REDIS_URL defaults to redis://127.0.0.1:6379)
//   BENCH_DURATION_S=5 BENCH_CONNECTIONS=20 BENCH_ROUNDS=2
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import autocannon, { type Result } from 'autocannon'
import Fastify, { type FastifyInstance } from 'fastify'
import { createClient } from 'redis'
import { createRedisStore, kefuSession } from '../src/index.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const SECRET = randomBytes(32).toString('hex')
const IDLE_S = 1800
const RUN = randomBytes(4).toString('hex')
const KEFU_PREFIX = `kefu-bench:${RUN}:kefu:`
const PLAIN_PREFIX = `kefu-bench:${RUN}:plain:`

declare module 'fastify' {
  interface Session { user?: { id: string, username: string } }
}

function newClient () {
  const client = createClient({ url: REDIS_URL, disableOfflineQueue: true })
  client.on('error', (err: Error) => { console.error('redis:', err.message) })
  return client
}
type Client = ReturnType<typeof newClient>

/** The connect-redis way: the whole session as JSON, GET on read, SET with a TTL on every save. */
class PlainJsonRedisStore {
  sent = 0
  constructor (private readonly client: Client, private readonly prefix: string) {}

  get (sid: string, cb: (err: unknown, session?: unknown) => void): void {
    this.sent++
    this.client.get(this.prefix + sid).then((v) => { cb(null, v === null ? null : JSON.parse(v)) }, cb)
  }

  set (sid: string, session: { cookie?: { expires?: Date | string | null } }, cb: (err?: unknown) => void): void {
    const expires = session.cookie?.expires
    const ttl = expires != null ? Math.ceil((new Date(expires).getTime() - Date.now()) / 1000) : IDLE_S
    this.sent++
    this.client.set(this.prefix + sid, JSON.stringify(session), { expiration: { type: 'EX', value: Math.max(ttl, 1) } })
      .then(() => { cb() }, cb)
  }

  destroy (sid: string, cb: (err?: unknown) => void): void {
    this.sent++
    this.client.del(this.prefix + sid).then(() => { cb() }, cb)
  }
}

interface Contender {
  name: string
  app: FastifyInstance
  url: string
  cookie: string
  served: () => number
  roundTrips: () => number
}

function countResponses (app: FastifyInstance): () => number {
  let n = 0
  app.addHook('onResponse', async () => { n++ })
  return () => n
}

async function listen (app: FastifyInstance): Promise<string> {
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

function cookieFrom (setCookie: string | string[] | number | undefined): string {
  const first = Array.isArray(setCookie) ? setCookie[0] : String(setCookie)
  return (first ?? '').split(';')[0] ?? ''
}

async function kefuContender (client: Client): Promise<Contender> {
  let sent = 0
  const counted = {
    get isReady () { return client.isReady },
    sendCommand: (args: readonly string[]) => { sent++; return client.sendCommand([...args]) }
  }
  const store = await createRedisStore({ client: counted, prefix: KEFU_PREFIX })
  const app = Fastify()
  await app.register(kefuSession, { store, secret: SECRET, cookieName: 'kefu.sid', idleTimeoutS: IDLE_S, secure: false })
  const served = countResponses(app)
  app.post('/login', async (request) => {
    await request.kefuSession.login({ id: 'bench-user', username: 'bench' })
    return { ok: true }
  })
  app.get('/me', { preHandler: app.requireSession }, async (request) => ({ username: request.kefuSession.user?.username }))
  const url = await listen(app)
  const login = await app.inject({ method: 'POST', url: '/login' })
  return { name: '@kefu/session', app, url, cookie: cookieFrom(login.headers['set-cookie']), served, roundTrips: () => sent }
}

async function plainContender (client: Client): Promise<Contender> {
  const store = new PlainJsonRedisStore(client, PLAIN_PREFIX)
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: SECRET,
    cookieName: 'plain.sid',
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: true, sameSite: 'lax', path: '/', maxAge: IDLE_S * 1000 },
    store: store as never
  })
  const served = countResponses(app)
  app.post('/login', async (request) => {
    request.session.set('user', { id: 'bench-user', username: 'bench' })
    return { ok: true }
  })
  app.get('/me', async (request, reply) => {
    const user = request.session.get('user')
    if (user === undefined) return await reply.code(401).send({ error: 'login required' })
    return { username: user.username }
  })
  const url = await listen(app)
  const login = await app.inject({ method: 'POST', url: '/login' })
  return { name: '@fastify/session + JSON GET/SET store', app, url, cookie: cookieFrom(login.headers['set-cookie']), served, roundTrips: () => store.sent }
}

async function commandStats (admin: Client): Promise<Map<string, number>> {
  const info = await admin.info('commandstats')
  const stats = new Map<string, number>()
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats.set(m[1] as string, Number(m[2]))
  return stats
}

interface Measure {
  name: string
  result: Result
  served: number
  roundTrips: number
  commands: Map<string, number>
}

async function measure (c: Contender, admin: Client, seconds: number): Promise<Measure> {
  const before = await commandStats(admin)
  const served0 = c.served()
  const trips0 = c.roundTrips()
  const result = await autocannon({
    url: c.url + '/me', connections: CONNECTIONS, pipelining: 1, duration: seconds, headers: { cookie: c.cookie }
  })
  const served = c.served() - served0
  const roundTrips = c.roundTrips() - trips0
  const after = await commandStats(admin)
  const commands = new Map<string, number>()
  for (const [cmd, calls] of after) {
    const d = calls - (before.get(cmd) ?? 0)
    if (d > 0 && cmd !== 'info') commands.set(cmd, d)
  }
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${c.name}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { name: c.name, result, served, roundTrips, commands }
}

function perRequest (m: Measure): string {
  return [...m.commands].sort((a, b) => b[1] - a[1]).map(([cmd, n]) => `${cmd} ${(n / m.served).toFixed(2)}`).join(', ')
}

async function cleanup (admin: Client): Promise<void> {
  const keys: string[] = []
  for await (const batch of admin.scanIterator({ MATCH: `kefu-bench:${RUN}:*`, COUNT: 1000 })) keys.push(...batch)
  if (keys.length > 0) await admin.unlink(keys)
}

async function main (): Promise<void> {
  const admin = newClient()
  const kefuClient = newClient()
  const plainClient = newClient()
  await Promise.all([admin.connect(), kefuClient.connect(), plainClient.connect()])
  const contenders = [await kefuContender(kefuClient), await plainContender(plainClient)]
  const [kefu, plain] = contenders as [Contender, Contender]
  try {
    console.log(`# @kefu/session benchmark — ${new Date().toISOString()}`)
    console.log(`# node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Redis ${REDIS_URL}`)
    console.log(`# GET /me with a logged-in cookie, ${CONNECTIONS} connections, ${DURATION_S} s per run, ${ROUNDS} rounds, loopback, autocannon in-process`)
    for (const c of contenders) await measure(c, admin, 1) // warm-up (JIT, connections, script cache)
    const runs: Measure[] = []
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of contenders) {
        const m = await measure(c, admin, DURATION_S)
        runs.push(m)
        console.log(`${m.name.padEnd(40)} ${m.result.requests.average.toFixed(0).padStart(7)} req/s  p50 ${m.result.latency.p50} ms  p99 ${m.result.latency.p99} ms  ` +
          `round trips/req ${(m.roundTrips / m.served).toFixed(2)}  Redis commands/req: ${perRequest(m)}`)
      }
    }
    const mean = (name: string): number => {
      const mine = runs.filter((r) => r.name === name)
      return mine.reduce((s, r) => s + r.result.requests.average, 0) / mine.length
    }
    const ours = mean(kefu.name)
    const theirs = mean(plain.name)
    const kefuRuns = runs.filter((r) => r.name === kefu.name)
    const served = kefuRuns.reduce((s, r) => s + r.served, 0)
    const top = kefuRuns.reduce((s, r) => s + (r.commands.get('evalsha') ?? 0) + (r.commands.get('eval') ?? 0), 0)
    const trips = kefuRuns.reduce((s, r) => s + r.roundTrips, 0)
    console.log('')
    console.log(`@kefu/session                       ${ours.toFixed(0)} req/s (mean of ${ROUNDS})`)
    console.log(`@fastify/session + JSON GET/SET     ${theirs.toFixed(0)} req/s (mean of ${ROUNDS})`)
    console.log(`ratio                               ${(ours / theirs).toFixed(2)} (goal ≥ 1.00)`)
    console.log(`@kefu/session Redis commands/req    ${(top / served).toFixed(3)} EVALSHA (INFO commandstats), ${(trips / served).toFixed(3)} sent by the client; ` +
      'the HGETALL/HSET/PEXPIRE listed above run inside that one script')
  } finally {
    await Promise.all(contenders.map((c) => c.app.close()))
    await cleanup(admin)
    await Promise.all([admin.quit(), kefuClient.quit(), plainClient.quit()])
  }
}

await main()
