import t from 'tap'
import { createTcpProxy } from '@kefu/service/testing'
import { createTestDatabase } from '../src/testing.js'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createPrismaClient, openDatabase, startEmbeddedPostgres } from '../src/index.js'

t.test('the Prisma client reads and writes through the pg adapter, 64-bit values intact', async (t) => {
  const db = await createTestDatabase('client')
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  const row = await prisma.customerMessage.create({
    data: {
      appId: 'wx1', dedupeKey: 'm:22876340532172986', openid: 'o1', toUsername: 'gh', fromUsername: 'o1', msgType: 'text',
      msgInfo: '{"text":"hi"}', msgId: '22876340532172986', payload: '{}', format: 'json', wechatCreateTime: 1714112445n
    }
  })
  t.equal(row.msgId, '22876340532172986')
  t.equal(row.wechatCreateTime, 1714112445n)
  await t.rejects(prisma.customerMessage.create({
    data: { appId: 'wx1', dedupeKey: 'm:22876340532172986', openid: 'o1', toUsername: 'gh', fromUsername: 'o1', msgType: 'text', msgInfo: '{}', payload: '{}', format: 'json', wechatCreateTime: 1714112445n }
  }), { code: 'P2002' }, 'one row per (app_id, dedupe_key, wechat_create_time)')
})

t.test('embedded PostgreSQL opens migrated, and persists across restarts', async (t) => {
  const dir = t.testdir({})
  const first = await openDatabase({ dataDir: dir })
  t.equal(first.embedded, true)
  await first.prisma.account.create({ data: { username: 'persisted', passwordHash: 'x' } })
  await first.close()
  const second = await openDatabase({ dataDir: dir })
  t.teardown(() => second.close())
  t.equal((await second.prisma.account.findUnique({ where: { username: 'persisted' } }))?.username, 'persisted')
})

t.test('a database that goes away fails queries fast, and they work again when it returns', async (t) => {
  const db = await createTestDatabase('outage')
  t.teardown(db.drop)
  const proxy = await createTcpProxy(db.url)
  t.teardown(proxy.close)
  const prisma = createPrismaClient({ url: proxy.url, poolMax: 1 })
  t.teardown(() => prisma.$disconnect())
  t.equal(await prisma.account.count(), 0)
  await proxy.cut()
  const started = Date.now()
  await t.rejects(prisma.account.count())
  t.ok(Date.now() - started < 5000, 'fails within the connect timeout')
  await proxy.restore()
  t.equal(await prisma.account.count(), 0, 'recovers by itself')
})

t.test('one process at a time opens an embedded data directory; a crashed owner’s lock is taken over', async (t) => {
  const dir = t.testdir({})
  const first = await startEmbeddedPostgres({ dataDir: dir })
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { startEmbeddedPostgres } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}
    try { await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dir)} }); console.log('opened') } catch (err) { console.log(err.name + ': ' + err.message); process.exit(3) }
  `], { encoding: 'utf8' })
  t.equal(child.status, 3, 'a second process is refused')
  t.match(child.stdout, /EmbeddedDatabaseBusyError: the embedded database in .* is in use by process \d+/)
  await first.close()
  writeFileSync(path.join(dir, 'kefu.lock'), '999999999')
  const again = await startEmbeddedPostgres({ dataDir: dir })
  t.equal(readFileSync(path.join(dir, 'kefu.lock'), 'utf8'), String(process.pid), 'a stale lock is replaced')
  await again.close()
})
