// Behind HAProxy, as an operator runs kefu: two processes of every service (their built servers, as deployed) on one
// PostgreSQL and the Redis Cluster, round robin with a /readyz check every second. Processes are killed (SIGKILL) and
// rolled (SIGTERM) under load; nothing acknowledged is lost, nothing is stored twice, no request fails during a
// rolling restart, a live stream resumes on the other console with everything it missed, and a sign-in outlives the
// auth process that made it. Needs real PostgreSQL and a Redis Cluster (CI's real run: pnpm test:cluster).
import t from 'tap'
import { upsertAccount } from '@kefu/auth'
import { startBackends } from './backends.js'
import { CookieJar } from './cookie-jar.js'
import { figures, runLoad } from './lb/load.js'
import { EventStream } from './lb/sse.js'
import { restarts } from './lb/processes.js'
import { APPS, startTopology } from './lb/topology.js'

const DATABASE_URL = process.env.DATABASE_URL
const REDIS_CLUSTER_URLS = process.env.REDIS_CLUSTER_URLS
const skip = DATABASE_URL === undefined || DATABASE_URL === '' || REDIS_CLUSTER_URLS === undefined || REDIS_CLUSTER_URLS === ''
  ? 'needs real PostgreSQL and a Redis Cluster (embedded run)'
  : false
// HAProxy takes a server out after 2 failed checks 1 s apart: the drain outlasts that.
const DRAIN_MS = 3000
const PASSWORD = 'balancer-password-1'
const SCRYPT = { N: 1024, r: 8, p: 1 }
const [APP] = APPS as [typeof APPS[number]]

/** A cookie jar for one site; requests go through HAProxy's frontend for it. */
class Site {
  readonly jar = new CookieJar()
  constructor (readonly url: string) {}
  cookie (): string { return this.jar.header() }
  async request (method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number, text: string, server: string | null, json: () => any }> {
    const cookie = this.cookie()
    const res = await fetch(this.url + path, {
      method,
      redirect: 'manual',
      headers: { ...(cookie === '' ? {} : { cookie }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    this.jar.take(res)
    const text = await res.text()
    return { status: res.status, text, server: res.headers.get('x-kefu-server'), json: () => JSON.parse(text) }
  }
}

t.test('two instances of every service behind HAProxy, on one PostgreSQL and the Redis Cluster', { skip }, async (t) => {
  const { db, prisma, fake } = await startBackends(t, 'load_balancer', APPS)
  await upsertAccount(prisma, 'alice', PASSWORD, SCRYPT)
  await prisma.agentApp.createMany({ data: APPS.map((a) => ({ username: 'alice', appId: a.appid })) })

  const started = Date.now()
  const top = await startTopology({ databaseUrl: db.url, redisClusterUrls: REDIS_CLUSTER_URLS!, wechatApiBase: fake.url, drainMs: DRAIN_MS })
  t.teardown(() => top.stop())
  /** Starts tried again after a plugin timeout (a crowded machine), for the figures. */
  const retried = (): string => restarts.length === 0 ? '' : ` [started again after a timeout at start: ${restarts.splice(0).join('; ')}]`
  t.comment(`HAProxy ${top.haproxy.version} in front of 8 processes, started in ${Date.now() - started} ms${retried()}`)
  const ingestUrl = top.haproxy.url('ingest')

  /** Rows per MsgId among `msgIds`: how many are stored, and which more than once. */
  async function stored (msgIds: string[]): Promise<{ rows: number, distinct: number, duplicates: string[] }> {
    const rows = await prisma.customerMessage.findMany({ where: { appId: APP.appid, msgId: { in: msgIds } }, select: { msgId: true } })
    const seen = new Map<string, number>()
    for (const r of rows) seen.set(String(r.msgId), (seen.get(String(r.msgId)) ?? 0) + 1)
    return { rows: rows.length, distinct: seen.size, duplicates: [...seen].filter(([, n]) => n > 1).map(([id]) => id) }
  }

  /** Signs alice in at A (through HAProxy), then at the B sites `sites` with A's tickets, as their pages do. */
  async function signIn (...bNames: Array<'sync' | 'console'>): Promise<{ a: Site, loginServer: string, b: Record<string, Site> }> {
    const a = new Site(top.haproxy.url('auth'))
    const login = await a.request('POST', '/login', { origin: a.url }, { username: 'alice', password: PASSWORD })
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`)
    const b: Record<string, Site> = {}
    for (const name of bNames) {
      const site = new Site(top.haproxy.url(name))
      const ticket = await a.request('POST', `/sso/ticket?client_id=${name}`, { origin: site.url, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' })
      if (ticket.status !== 200) throw new Error(`ticket for ${name}: ${ticket.status} ${ticket.text}`)
      const page = await site.request('GET', '/')
      const csrf = /"csrf":"([^"]+)"/.exec(page.text)?.[1]
      if (csrf === undefined) throw new Error(`${name}'s page has no CSRF token: ${page.status} ${page.text.slice(0, 300)}`)
      const posted = await site.request('POST', '/sso/ticket', { origin: site.url, 'sec-fetch-site': 'same-origin', 'x-kefu-csrf': csrf }, { ticket: ticket.json().ticket })
      if (posted.status !== 200) throw new Error(`ticket at ${name}: ${posted.status} ${posted.text}`)
      b[name] = site
    }
    return { a, loginServer: login.server!, b }
  }

  t.test('kill -9 of one ingest under load, with a client that retries like WeChat: all stored, once', async (t) => {
    const victim = top.instances.ingest[0]
    let killedAt: number | undefined
    let kill: Promise<void> | undefined
    let acked = 0
    const load = await runLoad({
      url: ingestUrl,
      app: APP,
      concurrency: 8,
      count: 300,
      retry: { attempts: 5, timeoutMs: 5000, delayMs: 200 },
      content: 'kill -9',
      onAcknowledged: () => {
        if (kill === undefined && ++acked >= 100) { killedAt = Date.now(); kill = victim.kill9() }
      }
    })
    await kill
    const f = figures(load.pushes)
    const s = await stored(load.pushes.map((p) => p.msgId))
    const ackedIds = load.pushes.filter((p) => p.acknowledged).map((p) => p.msgId)
    const ackedStored = await stored(ackedIds)
    t.comment(`kill -9 ${victim.name} at ${killedAt! - (Date.now() - load.ms)} ms: ${f.sent} pushes sent, ${f.acknowledged} acknowledged, ${f.retried} retried (${f.failedAttempts} failed attempts: ${[...new Set(f.failed)].join(', ')}), ${s.distinct} stored in ${s.rows} rows, in ${load.ms} ms`)
    t.ok(killedAt !== undefined, 'the instance was killed under load')
    t.equal(ackedStored.distinct, ackedIds.length, 'every acknowledged push is stored')
    t.equal(f.acknowledged, f.sent, 'every push was acknowledged after retries')
    t.equal(s.distinct, f.sent, 'every push is stored')
    t.same(s.duplicates, [], 'none twice')
    t.equal(s.rows, f.sent, 'one row per push')
    await victim.start()
    t.comment(`${victim.name} back in HAProxy after ${await top.haproxy.waitFor(victim.name, 'UP')} ms${retried()}`)
  })

  t.test('a rolling restart of ingest under load, with a client that never retries: 0 failed requests', async (t) => {
    let done = false
    const steps: string[] = []
    const loading = runLoad({ url: ingestUrl, app: APP, concurrency: 4, pauseMs: 20, stop: () => done, content: 'rolling' })
    try {
      await new Promise((resolve) => setTimeout(resolve, 500))
      for (const instance of top.instances.ingest) {
        const { code, ms } = await instance.terminate()
        steps.push(`${instance.name} SIGTERM: exit ${code} after ${ms} ms`)
        t.equal(code, 0, `${instance.name} exits 0 after its drain`)
        await instance.start()
        steps.push(`${instance.name} UP again after ${await top.haproxy.waitFor(instance.name, 'UP')} ms`)
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    } finally {
      done = true
    }
    const load = await loading
    const f = figures(load.pushes)
    const s = await stored(load.pushes.map((p) => p.msgId))
    t.comment(`rolling restart (${steps.join('; ')})${retried()}: ${f.sent} pushes sent, ${f.acknowledged} acknowledged, ${f.failedAttempts} failed, ${s.distinct} stored, in ${load.ms} ms`)
    t.ok(f.sent >= 50, `pushes flowed throughout (${f.sent})`)
    t.same(f.failed, [], '0 failed requests')
    t.equal(s.distinct, f.sent, 'every push is stored')
    t.same(s.duplicates, [], 'none twice')
  })

  t.test('kill -9 of the console an agent\'s live stream is on: it resumes on the other with every message, within 10 s', async (t) => {
    const { b } = await signIn('console')
    const site = b.console!
    const stream = new EventStream(site.url + '/api/events', () => ({ cookie: site.cookie() }))
    t.teardown(() => stream.close())
    await stream.waitFor('hello', () => stream.events.some((e) => e.event === 'hello'), 10_000)
    const first = stream.connections[0]!
    t.equal(first.status, 200, `the stream is open on ${first.server}`)
    const messages = (): string[] => stream.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data).text as string)
    const before = await runLoad({ url: ingestUrl, app: APP, concurrency: 2, count: 4, content: 'before the kill' })
    await stream.waitFor('the pushes before the kill', () => before.pushes.every((p) => messages().includes(p.content)), 10_000)
    t.ok(stream.lastEventId !== undefined, `the stream has an id to resume from (${stream.lastEventId})`)

    const victim = top.byName(first.server!)
    const lastSeen = stream.lastEventId
    const killedAt = Date.now()
    await victim.kill9()
    // Pushes go on arriving through the other console's subscription while the agent is away.
    const during = await runLoad({ url: ingestUrl, app: APP, concurrency: 2, count: 10, retry: { attempts: 5, timeoutMs: 5000, delayMs: 200 }, content: 'while reconnecting' })
    const all = [...before.pushes, ...during.pushes].map((p) => p.content)
    await stream.waitFor('every message after the kill', () => all.every((id) => messages().includes(id)), 10_000 - (Date.now() - killedAt))
      .catch((err: Error) => { t.fail(err.message, { connections: stream.connections, seen: messages().length }) })
    const complete = Date.now() - killedAt
    const resumed = stream.connections.find((c) => c.at > killedAt && c.status === 200)
    t.comment(`kill -9 ${victim.name}: resumed on ${resumed?.server ?? 'none'} with Last-Event-ID ${resumed?.lastEventId ?? '-'} ${resumed?.openedAt === undefined ? '' : resumed.openedAt - killedAt} ms after the kill (the page waits the stream's retry: 2000 ms); all ${all.length} messages (${during.pushes.length} pushed during the gap) on screen ${complete} ms after the kill`)
    t.ok(resumed !== undefined && resumed.server !== victim.name, 'reconnected to the other instance')
    t.equal(resumed?.lastEventId, lastSeen, 'with Last-Event-ID: the id of the last message it had')
    t.ok(complete <= 10_000, `every message within 10 s (${complete} ms)`)
    // Two ingest instances commit side by side, so ids may reach a stream out of order: the catch-up sends what came
    // after Last-Event-ID (with event ids) and looks a few seconds behind it for what became visible late (sent again
    // without an event id, so Last-Event-ID stays). The page hands each message on once (live.js).
    const sent = stream.events.filter((e) => e.event === 'message')
    const withId = sent.filter((e) => e.id !== undefined).map((e) => e.id!)
    const twice = [...new Set(withId.filter((id, i) => withId.indexOf(id) !== i))]
    const behind = sent.filter((e) => e.id === undefined).length
    t.comment(`catch-up: ${twice.length} sent again with an event id (${twice.join(', ') || 'none'}), ${behind} sent again from behind Last-Event-ID ${lastSeen}`)
    t.same(twice.filter((id) => BigInt(id) <= BigInt(lastSeen!)), [], 'nothing at or before Last-Event-ID is sent again with an event id')
    await victim.start()
    await top.haproxy.waitFor(victim.name, 'UP')
  })

  t.test('kill -9 of the auth instance that signed the agent in: still signed in on the B sites; sign-out still everywhere', async (t) => {
    const { a, loginServer, b } = await signIn('sync', 'console')
    const victim = top.byName(loginServer)
    t.equal(victim.app, 'auth', `signed in by ${loginServer}`)
    await victim.kill9()
    // A few rounds, so that both the killed instance's turn (HAProxy still counts it up) and the other's come.
    for (let i = 0; i < 4; i++) {
      const me = await a.request('GET', '/me', { accept: 'application/json' })
      t.same([me.status, me.json()], [200, { username: 'alice' }], `A still knows alice (answered by ${me.server})`)
      const sync = await b.sync!.request('GET', '/me')
      t.same([sync.status, sync.json()], [200, { username: 'alice' }], `B (sync) still signed in (answered by ${sync.server})`)
      const console = await b.console!.request('GET', '/api/me')
      t.equal(console.status, 200, `the console still signed in (answered by ${console.server})`)
    }
    const signedOutAt = Date.now()
    const out = await a.request('POST', '/logout', { origin: a.url }, {})
    t.equal(out.status, 204, `signed out at A (through ${out.server})`)
    t.equal((await a.request('GET', '/me', { accept: 'application/json' })).status, 401, 'A agrees')
    const gone = async (site: Site | undefined, path: string): Promise<number> => {
      for (;;) {
        const res = await site!.request('GET', path)
        if (res.status === 401 || res.status === 403) return Date.now() - signedOutAt
        if (Date.now() - signedOutAt > 10_000) return -1
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    const syncMs = await gone(b.sync, '/me')
    const consoleMs = await gone(b.console, '/api/me')
    t.comment(`kill -9 ${victim.name}: alice stayed signed in at A, sync and the console; sign-out reached sync after ${syncMs} ms, the console after ${consoleMs} ms`)
    t.ok(syncMs >= 0, 'sync signed out')
    t.ok(consoleMs >= 0, 'the console signed out')
    await victim.start()
    await top.haproxy.waitFor(victim.name, 'UP')
  })
})
