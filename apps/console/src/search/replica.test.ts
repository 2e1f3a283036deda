import net from 'node:net'
import { once } from 'node:events'
import t from 'tap'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { HistoryIndexer } from '@kefu/history'
import { APPS, addAgent, signedIn, startConsoleSystem } from '../../test/helper.js'

// DATABASE_READ_URL: search, its context and reports read from the replica; the conversation list and timeline, and
// everything written, stay on the primary. A second database stands in for the hot standby here, holding a message the
// primary has not: what the console shows of it says which database each read went to.

const real = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''

t.test('search and reports read the replica; the list, the timeline and writes the primary', { skip: !real && 'DATABASE_URL is not set (embedded run: no replica)' }, async (t) => {
  const replicaDb = await createTestDatabase('console_replica')
  t.teardown(replicaDb.drop)
  const sys = await startConsoleSystem(t, { label: 'console_primary', history: { catchUpLagMs: 0 }, console: { databaseReadUrl: replicaDb.url } })
  await addAgent(sys, 'alice', [APPS[0]!.appid], { role: 'admin' })
  const alice = await signedIn(sys)

  // What the standby holds: a customer's message of today, indexed there.
  const replica = createPrismaClient({ url: replicaDb.url, poolMax: 2 })
  t.teardown(() => replica.$disconnect())
  const now = Math.floor(Date.now() / 1000)
  await replica.$executeRaw`
    INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, msg_info, payload, format, wechat_create_time)
    VALUES (${APPS[0]!.appid}, 'm:1', 'o_only_on_replica', 'gh_x', 'o_only_on_replica', 'text', '{"text":"只在副本上的消息"}', '{}', 'json', ${now})`
  await new HistoryIndexer(replica, { catchUpLagMs: 0 }).catchUp()

  const found = await alice.api(sys, 'GET', '/api/search?q=' + encodeURIComponent('只在副本'))
  t.equal(found.status, 200)
  t.same(found.json().results.map((r: { openid: string }) => r.openid), ['o_only_on_replica'], 'search: from the replica')
  const report = await alice.api(sys, 'GET', '/api/reports')
  t.equal(report.status, 200)
  t.equal(report.json().apps.filter((a: { day: string | null }) => a.day === null).reduce((n: number, a: { messagesIn: number }) => n + a.messagesIn, 0), 1, 'reports: from the replica')

  const list = await alice.api(sys, 'GET', '/api/conversations')
  t.equal(list.status, 200)
  t.notMatch(list.text, /o_only_on_replica/, 'the conversation list: from the primary')
  t.equal(await sys.prisma.customerMessage.count(), 0, 'the primary never had it')
})

t.test('a replica that is down: search and reports answer 503, the rest of the console works', async (t) => {
  // A port nothing listens on: one the system just gave and took back.
  const probe = net.createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const closed = (probe.address() as net.AddressInfo).port
  probe.close()
  const sys = await startConsoleSystem(t, { label: 'console_replica_down', console: { databaseReadUrl: `postgresql://postgres@127.0.0.1:${closed}/none` } })
  await addAgent(sys, 'alice', [APPS[0]!.appid], { role: 'admin' })
  const alice = await signedIn(sys)
  const search = await alice.api(sys, 'GET', '/api/search?q=x')
  t.equal(search.status, 503, search.text)
  const report = await alice.api(sys, 'GET', '/api/reports')
  t.equal(report.status, 503, report.text)
  t.equal((await alice.api(sys, 'GET', '/api/conversations')).status, 200)
})
