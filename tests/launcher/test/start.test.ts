// pnpm start as a user runs it: every service reads its documented variables through its own loadConfig; the demo
// account exists only in the demo (embedded database and demo mini programs); published secrets stop it.
import t from 'tap'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { computeSignature } from '@kefu/wechat-crypto'
import { launch, launchExpectingExit, login, realServers, ROOT } from './helper.js'

const demoApps = JSON.parse(readFileSync(path.join(ROOT, 'config', 'demo-wechat-apps.json'), 'utf8')) as Array<{ appid: string, token: string }>
const plainApp = demoApps.find((a) => a.appid === 'wxkefudemo00000002')!
/** Mini programs of one's own (not the demo's), written as WECHAT_APPS. */
const OWN_APPS = JSON.stringify([{ appid: 'wx00000000000000b1', token: 'ownToken123', secret: 'an-app-secret-of-our-own' }])
/** The demo's data directory, reused below to show a later non-demo start refuses the demo's password. */
const demoDataDir = t.testdir({})

t.test('the demo honours the documented variables: session idle timeout, log level, login limits, timestamp window, TRUST_PROXY, DRAIN_MS', async (t) => {
  const kefu = await launch(t, {
    DATA_DIR: demoDataDir,
    SESSION_IDLE_TIMEOUT_S: '2',
    SESSION_ABSOLUTE_TIMEOUT_S: '600',
    LOG_LEVEL: 'warn',
    LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '2',
    WECHAT_TIMESTAMP_WINDOW_S: '60',
    TRUST_PROXY: '1',
    DRAIN_MS: '1500'
  })
  const authUrl = kefu.url(1)
  t.match(kefu.stdout(), `${authUrl}/login`)
  t.match(kefu.stdout(), 'sign in as demo / demo-password')
  t.notMatch(kefu.stdout(), 'No account is made')

  // TRUST_PROXY=1: the nearest proxy's X-Forwarded-Proto is believed, so the session cookie is the HTTPS one.
  const https = { 'x-forwarded-proto': 'https' }
  const signedIn = await login(authUrl, 'demo', 'demo-password', https)
  t.equal(signedIn.status, 200, 'the demo account signs in')
  t.equal(signedIn.cookieName, '__Host-kefu_auth', 'TRUST_PROXY reached the A site')
  const me = async (): Promise<number> => {
    const res = await fetch(authUrl + '/me', { headers: { cookie: signedIn.cookie!, ...https } })
    await res.arrayBuffer()
    return res.status
  }
  t.equal(await me(), 200, 'signed in')
  await sleep(3000)
  t.equal(await me(), 401, 'idle for longer than SESSION_IDLE_TIMEOUT_S=2: signed out (the default would be 30 minutes)')

  for (let i = 0; i < 2; i++) t.equal((await login(authUrl, 'ghost', 'wrong-password-' + i)).status, 401)
  t.equal((await login(authUrl, 'ghost', 'wrong-password-2')).status, 429, 'LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=2 (default 10)')

  const logs = kefu.logs()
  t.ok(logs.some((l) => l.svc === 'auth' && l.msg === 'refused'), 'warnings are logged')
  t.notOk(logs.some((l) => l.msg === 'logged in'), 'LOG_LEVEL=warn: no info lines, such as the sign-in')

  const verify = async (skewS: number): Promise<number> => {
    const timestamp = String(Math.floor(Date.now() / 1000) - skewS)
    const nonce = 'n' + skewS
    const query = new URLSearchParams({ signature: computeSignature(plainApp.token, timestamp, nonce), timestamp, nonce, echostr: 'hello' })
    const res = await fetch(`${kefu.url(0)}/wechat/${plainApp.appid}?${query.toString()}`)
    await res.arrayBuffer()
    return res.status
  }
  t.equal(await verify(0), 200)
  t.equal(await verify(120), 401, 'WECHAT_TIMESTAMP_WINDOW_S=60 (the default 300 would accept a push 120 s old)')

  // The worker beside them, on BASE_PORT + 9: its health only.
  t.same(await (await fetch(kefu.url(9) + '/readyz')).json(), { status: 'ready' }, 'the worker runs, on the shared database')

  // SIGTERM: all five services drain together for DRAIN_MS (read by each one's loadConfig), then the process exits.
  const exited = once(kefu.child, 'exit')
  const signalled = Date.now()
  kefu.child.kill('SIGTERM')
  const readyz = async (offset: number): Promise<{ status: number, body: unknown }> => {
    const res = await fetch(kefu.url(offset) + '/readyz')
    return { status: res.status, body: await res.json() }
  }
  // The signal takes a moment to arrive; then all four say so together.
  while ((await readyz(0)).status === 200 && Date.now() - signalled < 1000) await sleep(10)
  for (const [offset, name] of [[0, 'ingest'], [1, 'auth'], [2, 'sync'], [3, 'console'], [9, 'worker']] as const) {
    t.same(await readyz(offset), { status: 503, body: { status: 'draining' } }, `${name} drains`)
  }
  t.same(await exited, [0, null], 'exit 0')
  t.ok(Date.now() - signalled >= 1500, 'after DRAIN_MS')
  t.match(kefu.stdout(), 'kefu: SIGTERM received: draining for 1500 ms, then closing')
})

t.test('a start with mini programs of one\'s own creates no account and says how to make one', async (t) => {
  const kefu = await launch(t, { DATA_DIR: t.testdir({}), WECHAT_APPS: OWN_APPS })
  const out = kefu.stdout()
  t.notMatch(out, 'demo-password')
  t.match(out, 'No account is made outside the demo')
  t.match(out, 'pnpm --filter @kefu/auth user:add <username> -')
  t.match(out, 'pnpm --filter @kefu/console agent:add <username> --all')
  t.match(out, 'while kefu is stopped')
  t.notMatch(out, 'a local stand-in for api.weixin.qq.com', 'no fake WeChat for real mini programs')
  t.equal((await login(kefu.url(1), 'demo', 'demo-password')).status, 401, 'there is no demo account')

  // Each service's /metrics on a loopback listener of its own, BASE_PORT + 5…8 (the worker's + 10); none on the public ports.
  const services = ['ingest', 'auth', 'sync', 'console']
  t.match(out, `Metrics (Prometheus): ${services.map((name, i) => `${name} ${kefu.url(5 + i)}/metrics`).join(', ')}, worker ${kefu.url(10)}/metrics`)
  for (const [i, name] of services.entries()) {
    const pub = await fetch(kefu.url(i) + '/metrics')
    await pub.arrayBuffer()
    t.equal(pub.status, 404, `${name}: no /metrics on its public port`)
    const res = await fetch(kefu.url(5 + i) + '/metrics')
    t.equal(res.status, 200, `${name}: /metrics on BASE_PORT + ${5 + i}`)
    t.match(await res.text(), /^# TYPE kefu_http_request_duration_seconds histogram$/m)
  }
})

t.test('a non-demo start on a database where the demo left its account refuses the published password', async (t) => {
  const stopped = await launchExpectingExit({ DATA_DIR: demoDataDir, WECHAT_APPS: OWN_APPS })
  t.equal(stopped.code, 1)
  t.equal(stopped.stderr, 'pnpm start: account demo still has the published password demo-password: set a new one with pnpm --filter @kefu/auth user:add demo - (while kefu is stopped)\n')
})

t.test('on a real database the demo mini programs get no demo account', { skip: realServers() === undefined && 'DATABASE_URL and REDIS_URL are not set (embedded run)' }, async (t) => {
  const servers = realServers()!
  const db = await createTestDatabase('launcher')
  t.teardown(db.drop)
  const kefu = await launch(t, { DATABASE_URL: db.url, REDIS_URL: servers.redisUrl, SESSION_SECRET: 'a-session-secret-for-this-test-only-0123456789', KEFU_SECRET_KEY: `k1:${Buffer.alloc(32, 7).toString('base64')}` })
  const out = kefu.stdout()
  t.match(out, 'kefu is running on PostgreSQL at DATABASE_URL, Redis at REDIS_URL')
  t.match(out, 'No account is made outside the demo')
  t.match(out, `pnpm --filter @kefu/console agent:add <username> ${demoApps.map((a) => a.appid).join(' ')}`, 'the demo appids, since WECHAT_APPS is unset')
  t.notMatch(out, 'while kefu is stopped')
  const prisma = createPrismaClient({ url: db.url, poolMax: 1 })
  t.teardown(() => prisma.$disconnect())
  t.equal(await prisma.account.count(), 0, 'no account was created')
  t.equal(await prisma.agentApp.count(), 0)
})

t.test('on a Redis Cluster the banner names the cluster, not REDIS_URL', { skip: (realServers() === undefined || (process.env.REDIS_CLUSTER_URLS ?? '') === '') && 'DATABASE_URL and REDIS_CLUSTER_URLS are not set (embedded run)' }, async (t) => {
  const db = await createTestDatabase('launcher_cluster')
  t.teardown(db.drop)
  const urls = process.env.REDIS_CLUSTER_URLS!
  const kefu = await launch(t, { DATABASE_URL: db.url, REDIS_CLUSTER_URLS: urls, SESSION_SECRET: 'a-session-secret-for-this-test-only-0123456789', KEFU_SECRET_KEY: `k1:${Buffer.alloc(32, 7).toString('base64')}` })
  t.match(kefu.stdout(), `kefu is running on PostgreSQL at DATABASE_URL, the Redis Cluster at REDIS_CLUSTER_URLS (${urls.split(',').length} seed nodes).`)
  t.notMatch(kefu.stdout(), 'REDIS_URL')
})

t.test('bad and published settings stop the launcher with one line naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ SESSION_SECRET: 'change-me-to-a-long-random-string-of-32-chars-or-more' }, 'pnpm start: SESSION_SECRET is still the placeholder from .env.example: set a random one of 32+ characters\n'],
    [{ SESSION_IDLE_TIMEOUT_S: 'soon' }, 'pnpm start: SESSION_IDLE_TIMEOUT_S must be a positive integer number of seconds, got "soon"\n'],
    [{ TRUST_PROXY: 'true' }, "pnpm start: TRUST_PROXY=true would believe any client's X-Forwarded-For: set the number of proxies in front of kefu (e.g. 1) or their addresses (e.g. 10.0.0.2,fd00::/8)\n"],
    [{ BASE_PORT: '65534' }, 'pnpm start: BASE_PORT must be between 1 and 65525, got 65534\n'],
    [{ METRICS_HOST: '0.0.0.0' }, 'pnpm start: METRICS_TOKEN is required with METRICS_HOST 0.0.0.0, which is not a loopback address: metrics are never served unauthenticated beyond this machine\n'],
    [{ SSO_CLIENTS: JSON.stringify([{ clientId: 'sync', clientSecret: 'x'.repeat(32), origins: ['https://b.example'], redirectUris: ['https://b.example/cb'] }]) },
      'pnpm start: SSO_CLIENTS registers "sync", a B site pnpm start runs itself: give yours another clientId\n']
  ]
  for (const [vars, line] of cases) {
    const stopped = await launchExpectingExit({ DATA_DIR: t.testdir({}), ...vars })
    t.equal(stopped.code, 1, JSON.stringify(vars))
    t.equal(stopped.stderr, line)
  }
})
