import t from 'tap'
import { createTcpProxy } from '@kefu/service/testing'
import { PLAIN_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'

const db = await fileDatabase(t, 'ingest_once')

t.test('the same push three times concurrently: three success, one row', async (t) => {
  const app = await build(t, db)
  const p = push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_concurrent' }))
  const responses = await Promise.all([send(app, SAFE_APP.appid, p), send(app, SAFE_APP.appid, p), send(app, SAFE_APP.appid, p)])
  t.same(responses.map((r) => [r.statusCode, r.body]), [[200, 'success'], [200, 'success'], [200, 'success']])
  t.equal(await app.prisma.customerMessage.count({ where: { openid: 'o_concurrent' } }), 1)
})

t.test('a burst of 200 pushes with every one delivered twice, concurrently: 200 rows', async (t) => {
  const app = await build(t, db)
  const pushes = Array.from({ length: 200 }, (_, i) => push(PLAIN_APP, 'plain', i % 2 === 0 ? 'json' : 'xml', fields(i % 5 === 0 ? 'user_enter_tempsession' : 'text', { fromUserName: `o_burst_${i % 17}`, createTime: 1714112445 + i, msgId: 5_000_000_000_000_000_000n + BigInt(i) })))
  // A retry of the same message arrives with a new timestamp and nonce.
  const retries = pushes.map((_, i) => push(PLAIN_APP, 'plain', 'json', fields(i % 5 === 0 ? 'user_enter_tempsession' : 'text', { fromUserName: `o_burst_${i % 17}`, createTime: 1714112445 + i, msgId: 5_000_000_000_000_000_000n + BigInt(i) })))
  const responses = await Promise.all([...pushes, ...retries].map((p) => send(app, PLAIN_APP.appid, p)))
  t.equal(responses.filter((r) => r.statusCode === 200 && r.body === 'success').length, 400, 'every delivery acknowledged')
  t.equal(await app.prisma.customerMessage.count({ where: { openid: { startsWith: 'o_burst_' } } }), 200, 'one row per message')
})

t.test('PostgreSQL goes away: 503 and no crash; it comes back: the retried push is stored', async (t) => {
  const proxy = await createTcpProxy(db.url)
  t.teardown(proxy.close)
  const app = await build(t, db, { databaseUrl: proxy.url, writeTimeoutMs: 4000 })
  const before = push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: 'o_outage' }))
  t.equal((await send(app, PLAIN_APP.appid, before)).statusCode, 200)

  await proxy.cut()
  const during = push(PLAIN_APP, 'plain', 'xml', fields('text', { fromUserName: 'o_outage', content: 'sent while the database was down' }))
  const refused = await send(app, PLAIN_APP.appid, during)
  t.equal(refused.statusCode, 503)
  t.equal(refused.json().code, 'KEFU_INGEST_STORE_UNAVAILABLE')
  t.equal((await app.inject('/readyz')).statusCode, 503, 'not ready while the database is away')
  t.equal((await app.inject('/healthz')).statusCode, 200, 'but alive')

  await proxy.restore()
  const retried = await send(app, PLAIN_APP.appid, during)
  t.equal(retried.statusCode, 200, "WeChat's retry of the same request is stored")
  t.equal((await app.inject('/readyz')).statusCode, 200)
  const rows = await app.prisma.customerMessage.findMany({ where: { openid: 'o_outage' }, orderBy: { id: 'asc' } })
  t.same(rows.map((r) => JSON.parse(r.msgInfo).text), ['你好', 'sent while the database was down'])
})

t.test('Redis goes away: 503 and no crash; it comes back: pushes are stored', { skip: process.env.REDIS_URL === undefined && 'REDIS_URL is not set' }, async (t) => {
  const proxy = await createTcpProxy(process.env.REDIS_URL!)
  t.teardown(proxy.close)
  const app = await build(t, db, { redisUrl: proxy.url })
  await proxy.cut()
  const p = push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: 'o_redis_outage' }))
  const refused = await send(app, PLAIN_APP.appid, p)
  t.equal(refused.statusCode, 503)
  t.equal(await app.prisma.customerMessage.count({ where: { openid: 'o_redis_outage' } }), 0, 'nothing stored while replay protection is down')
  await proxy.restore()
  // Not events.once: it rejects on the 'error' a reconnection attempt may still emit before 'ready'.
  if (!app.redis!.isReady) await new Promise((resolve) => app.redis!.once('ready', resolve))
  t.equal((await send(app, PLAIN_APP.appid, p)).statusCode, 200)
  t.equal(await app.prisma.customerMessage.count({ where: { openid: 'o_redis_outage' } }), 1)
})
