// A on a Redis Cluster (REDIS_CLUSTER_URLS; `pnpm test`'s real run starts a 3-master one): sign-in, sessions and
// sign-out work with keys spread over the masters; and on a cluster of this test's own, a master killed for a few
// seconds makes the requests that need it answer 503 at once (never 500, never a hang), while the others keep
// working, and everything works again within 10 s of its return.
import t from 'tap'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import type { RedisTarget } from '@kefu/service'
import { startRedisCluster } from '../../../scripts/redis-cluster.mjs'
import { addAccount, Browser, build, fileDatabase } from './helper.js'

const urls = process.env.REDIS_CLUSTER_URLS
const skip = (process.env.DATABASE_URL === undefined || urls === undefined || urls === '') && 'needs DATABASE_URL and REDIS_CLUSTER_URLS (embedded run)'
const LIMITS = { account: { max: 10_000, windowS: 60 }, ip: { max: 10_000, windowS: 60 } }
const USERS = Array.from({ length: 12 }, (_, i) => `clu${i}`)

t.test('sign-in, sessions and sign-out on a Redis Cluster', { skip }, async (t) => {
  const db = await fileDatabase(t, 'auth_cluster')
  const { app } = await build(t, db, { redisUrl: { cluster: urls!.split(',') }, loginLimits: LIMITS })
  const browsers: Browser[] = []
  for (const user of USERS) {
    await addAccount(app, user, `${user}-password`)
    const b = new Browser(app)
    t.equal((await b.login(user, `${user}-password`)).statusCode, 200, `${user} signs in`)
    browsers.push(b)
  }
  for (const [i, b] of browsers.entries()) t.same((await b.get('/me')).json(), { username: USERS[i] })
  // A second sign-in in the same browser replaces the session (same user: one script on one slot).
  t.equal((await browsers[0]!.login(USERS[0]!, `${USERS[0]}-password`)).statusCode, 200)
  t.equal((await browsers[0]!.get('/me')).statusCode, 200)
  // Another user in that browser: the old session (another slot) ends too.
  const before = new Browser(app)
  for (const [k, v] of browsers[1]!.jar) before.jar.set(k, v)
  t.equal((await browsers[1]!.login(USERS[2]!, `${USERS[2]}-password`)).statusCode, 200)
  t.equal((await before.get('/me')).statusCode, 401, 'the replaced session of another user is gone')
  t.same((await browsers[1]!.get('/me')).json(), { username: USERS[2] })
})

t.test('REDIS_URL pointed at one node of a cluster (a misconfiguration): MOVED answers 503, never 500', { skip }, async (t) => {
  const db = await fileDatabase(t, 'auth_cluster_moved')
  const { app, logs } = await build(t, db, { redisUrl: urls!.split(',')[0]!, loginLimits: LIMITS })
  const statuses = new Set<number>()
  for (const user of USERS) {
    await addAccount(app, user, `${user}-password`)
    statuses.add((await new Browser(app).login(user, `${user}-password`)).statusCode)
  }
  t.notOk(statuses.has(500), `never 500 (got ${[...statuses].join(', ')})`)
  t.ok(statuses.has(503), 'the keys on other nodes answer 503')
  t.ok(logs.some((l) => JSON.stringify(l).includes('MOVED')), 'the log says MOVED')
})

t.test('a master killed for a few seconds: 503 at once for what needs it, never 500; back within 10 s', { skip }, async (t) => {
  // With an append-only file: the master comes back with its sessions, as one with persistence (or a replica) would.
  const cluster = await startRedisCluster({ base: 7301, persistent: true })
  t.teardown(() => cluster.stop())
  const target: RedisTarget = { cluster: cluster.urls }
  const db = await fileDatabase(t, 'auth_cluster_kill')
  const { app } = await build(t, db, { redisUrl: target, loginLimits: LIMITS })
  const browsers: Browser[] = []
  for (const user of USERS) {
    await addAccount(app, user, `${user}-password`)
    const b = new Browser(app)
    t.equal((await b.login(user, `${user}-password`)).statusCode, 200)
    browsers.push(b)
  }

  await cluster.stopNode(0)
  const statuses: number[] = []
  for (const b of browsers) {
    const started = performance.now()
    const res = await b.get('/me')
    const took = performance.now() - started
    t.ok(took < 2000, `answered in ${Math.round(took)} ms`)
    t.ok(res.statusCode === 200 || res.statusCode === 503, `200 or 503, got ${res.statusCode}`)
    if (res.statusCode === 503) t.match(res.json(), { statusCode: 503 }, 'one line')
    statuses.push(res.statusCode)
  }
  t.ok(statuses.includes(503), 'the sessions on the killed master answer 503')
  t.ok(statuses.includes(200), 'the sessions on the other masters keep working')
  const started = performance.now()
  const login = await new Browser(app).login(USERS[3]!, `${USERS[3]}-password`)
  t.ok(performance.now() - started < 2000, 'a sign-in is answered at once too')
  t.ok(login.statusCode === 200 || login.statusCode === 503, `sign-in: 200 or 503, got ${login.statusCode}`)

  await delay(2000)
  await cluster.startNode(0)
  const back = performance.now()
  let failing = browsers
  const seen = new Set<number>()
  while (failing.length > 0 && performance.now() - back < 10_000) {
    const answers = await Promise.all(failing.map(async (b) => (await b.get('/me')).statusCode))
    for (const status of answers) seen.add(status)
    failing = failing.filter((_, i) => answers[i] !== 200)
    if (failing.length > 0) await delay(100)
  }
  t.equal(failing.length, 0, `every session answers again within 10 s of the master's return (${Math.round(performance.now() - back)} ms)`)
  t.notOk(seen.has(500), 'never 500 while it comes back')
})
