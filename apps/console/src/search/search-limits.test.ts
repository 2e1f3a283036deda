// Bounds on search and reports: no search or report holds its database connection past its timeout (PostgreSQL
// stops the statement; embedded PostgreSQL refuses the rest), and an agent runs at most so many searches a minute.
import t, { type Test } from 'tap'
import { createPrismaClient } from '@kefu/db'
import { APPS, Agent, addAgent, startConsoleSystem, type ConsoleSystem } from '../../test/helper.js'

const [SAFE] = APPS.map((a) => a.appid) as [string]
const real = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''
const TIMEOUT_MS = 400
const PAGE = { 'accept-language': 'en' }

/** A system whose searches and reports may each run TIMEOUT_MS, with messages, a reply and blocked replies of today. */
async function slowableSystem (t: Test, label: string): Promise<{ sys: ConsoleSystem, alice: Agent }> {
  const sys = await startConsoleSystem(t, { label, history: { catchUpLagMs: 0 }, console: { queryTimeouts: { searchMs: TIMEOUT_MS, reportMs: TIMEOUT_MS } } })
  const now = Math.floor(Date.now() / 1000)
  for (let i = 0; i < 8; i++) await sys.push(SAFE, 'text', { from: 'o_slow', content: `退款 ${i}`, createTime: now - 600 + i })
  await sys.prisma.replyBlockedHourly.createMany({ data: Array.from({ length: 8 }, (_, i) => ({ hour: new Date(Date.now() - i * 3_600_000 - 60_000), appId: SAFE, agent: `a${i}`, reason: 'closed', count: 1 })) })
  await sys.worker.app.history.catchUp()
  await addAgent(sys, 'alice', [SAFE], { role: 'admin' })
  const alice = new Agent()
  await alice.signIn(sys)
  return { sys, alice }
}

const routes = (alice: Agent, sys: ConsoleSystem): Array<[string, () => ReturnType<Agent['api']>]> => [
  ['search', () => alice.api(sys, 'GET', '/api/search?q=' + encodeURIComponent('退款'))],
  ['search, no text', () => alice.api(sys, 'GET', '/api/search?openid=o_slow')],
  ['report', () => alice.api(sys, 'GET', '/api/reports')],
  ['report CSV', () => alice.api(sys, 'GET', '/api/reports.csv')],
  ['report page', () => alice.request(sys.console, 'GET', '/reports', { headers: PAGE })]
]

function isTooSlow (t: Test, name: string, res: Awaited<ReturnType<Agent['api']>>): void {
  t.equal(res.status, 503, `${name}: 503 (${res.text.slice(0, 120)})`)
  const what = name.startsWith('search') ? /^this search took longer than 0\.4 s and was stopped: narrow it down/ : /this report took longer than 0\.4 s and was stopped: choose a shorter period/
  if (name === 'report page') {
    t.match(res.headers.get('content-type'), /^text\/html/, `${name}: a page`)
    t.match(res.text, what, `${name}: it says why`)
  } else {
    t.match(res.json(), { statusCode: 503, code: 'KEFU_CONSOLE_TOO_SLOW', message: what }, `${name}: one line`)
    t.notMatch(res.json().message, /\n/)
  }
}

t.test('a search or report slower than its timeout answers 503 with one line; the next one works', async (t) => {
  const { sys, alice } = await slowableSystem(t, 'search-slow')
  for (const [name, send] of routes(alice, sys)) { const res = await send(); t.equal(res.status, 200, `${name}: fast enough`) }

  // Every row read takes 0.2 s: reading the eight messages (or blocked counts) takes 1.6 s.
  const slow = async (table: string): Promise<void> => {
    await sys.prisma.$executeRawUnsafe(`ALTER TABLE ${table} RENAME TO ${table}_rows`)
    await sys.prisma.$executeRawUnsafe(`CREATE VIEW ${table} AS SELECT * FROM ${table}_rows WHERE slow_row()`)
  }
  const fast = async (table: string): Promise<void> => {
    await sys.prisma.$executeRawUnsafe(`DROP VIEW ${table}`)
    await sys.prisma.$executeRawUnsafe(`ALTER TABLE ${table}_rows RENAME TO ${table}`)
  }
  await sys.prisma.$executeRawUnsafe("CREATE FUNCTION slow_row() RETURNS boolean VOLATILE LANGUAGE sql AS $$ SELECT pg_sleep(0.2)::text = '' $$")
  await slow('message_search')
  await slow('reply_blocked_hourly')
  for (const [name, send] of routes(alice, sys)) isTooSlow(t, name, await send())
  await fast('message_search')
  await fast('reply_blocked_hourly')
  for (const [name, send] of routes(alice, sys)) t.equal((await send()).status, 200, `${name}: works again`)
})

t.test('PostgreSQL stops the statement: a search or report waiting on a lock lets its connection go at the timeout', { skip: !real && 'statement_timeout needs a real PostgreSQL (embedded PostgreSQL never fires it)' }, async (t) => {
  const { sys, alice } = await slowableSystem(t, 'search-lock')
  // Another client takes both tables for itself, in a transaction that lasts until `release`.
  const locker = createPrismaClient({ url: sys.db.url, poolMax: 2 })
  t.teardown(() => locker.$disconnect())
  let release = (): void => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  let locked = (): void => {}
  const lockTaken = new Promise<void>((resolve) => { locked = resolve })
  const holding = locker.$transaction(async (tx) => {
    await tx.$executeRawUnsafe('LOCK TABLE message_search, reply_blocked_hourly IN ACCESS EXCLUSIVE MODE')
    locked()
    await released
  }, { timeout: 120_000 })
  t.teardown(async () => { release(); await holding })
  await lockTaken

  for (const [name, send] of routes(alice, sys)) {
    // Without the timeout the request waits for the lock as long as it is held: it is held for 10 s here.
    const answered = await Promise.race([send(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000).unref())])
    if (answered === null) {
      t.fail(`${name}: still waiting for the lock after 10 s`)
      break
    }
    isTooSlow(t, name, answered)
    const waiting = await locker.$queryRawUnsafe<Array<{ n: bigint }>>('SELECT count(*) AS n FROM pg_locks WHERE NOT granted')
    t.equal(Number(waiting[0]!.n), 0, `${name}: no statement is left waiting on the server`)
  }
  release()
  await holding
  for (const [name, send] of routes(alice, sys)) t.equal((await send()).status, 200, `${name}: works once the lock is gone`)
})

t.test('an agent runs at most searchesPerMinute searches a minute: then 429 with Retry-After; others are not held back', async (t) => {
  const sys = await startConsoleSystem(t, { label: 'search-rate', console: { searchesPerMinute: 3 } })
  await addAgent(sys, 'bob', [SAFE])
  const alice = new Agent()
  await alice.signIn(sys)
  const bob = new Agent()
  await bob.signIn(sys, 'bob')
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await alice.api(sys, 'GET', `/api/search?q=a${i}`)).status)
  t.same(statuses, [200, 200, 200])
  const limited = await alice.api(sys, 'GET', '/api/search?q=again')
  t.equal(limited.status, 429)
  t.match(limited.json(), { code: 'KEFU_CONSOLE_RATE_LIMITED', message: /^too many searches \(at most 3 a minute\); try again in \d+ s$/ })
  const retryAfter = Number(limited.headers.get('retry-after'))
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter} s`)
  t.equal((await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_x/around?key=in-1`)).status, 404, 'opening a result is not a search')
  t.equal((await bob.api(sys, 'GET', '/api/search?q=a')).status, 200, 'another agent has a count of their own')
  if (real && process.env.REDIS_URL !== undefined) {
    // The count lives in Redis: a second console instance refuses alice too.
    const second = await sys.startConsole()
    const res = await alice.request(second, 'GET', '/api/search?q=a', { headers: { origin: second.url } })
    t.equal(res.status, 429, 'shared by every console instance')
  }
})
