import t from 'tap'
import { within } from '@kefu/service/testing'
import crypto from 'node:crypto'
import { createPrismaClient, type PrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { SecretBox, generateSecretKey } from '@kefu/secrets'
import { createMemoryBus, createRedisBus, type EventBus, type WechatAppConfig } from '@kefu/service'
import { MiniProgramRegistry, ReadOnlyMiniProgram, resealSecrets } from '../src/index.js'

const REDIS_URL = process.env.REDIS_URL
const db = await createTestDatabase('mini_programs')
t.teardown(db.drop)
const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
t.teardown(() => prisma.$disconnect())
/** This file's own channel: other files' announcements on a shared Redis are not heard. */
const CHANNEL = `kefu:test:${crypto.randomBytes(4).toString('hex')}:mini-programs`

const SAFE: WechatAppConfig = {
  appid: 'wx5afe000000000001',
  token: 'safeToken1',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  previousEncodingAESKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj',
  secret: 'app-secret-plaintext-0123456789ab',
  profileUrl: 'https://crm.example/profile',
  profileSecret: 'profile-secret-plaintext-0123456789',
  transferCustomerService: true,
  subscribeTemplates: [{ templateId: 'tmplA', title: '订单状态提醒', fields: [{ key: 'thing1', kind: 'thing', label: '物流' }], longTerm: false }]
}
const PLAIN: WechatAppConfig = { appid: 'wx5afe000000000002', token: 'plainToken2' }

/** An instance's bus: its own Redis connections in the real run (as two processes), one emitter in the embedded run. */
const memoryBus = createMemoryBus()
async function bus (t: Tap): Promise<EventBus> {
  if (REDIS_URL === undefined) return memoryBus
  const b = await createRedisBus(REDIS_URL)
  t.teardown(() => b.close())
  return b
}
interface Tap { teardown: (fn: () => unknown) => void }

async function open (t: Tap, secrets: SecretBox, configured?: WechatAppConfig[], client: PrismaClient = prisma, reloadIntervalMs?: number): Promise<MiniProgramRegistry> {
  const registry = await MiniProgramRegistry.open({ prisma: client, bus: await bus(t), secrets, configured, channel: CHANNEL, reloadIntervalMs })
  t.teardown(() => registry.close())
  return registry
}

/** Waits for `condition`, at most 2 s: the bound issue 21 promises. */
const within2s = (condition: () => boolean): Promise<boolean> => within(2000, condition)

async function rowsAsText (): Promise<string> {
  const rows = await prisma.$queryRawUnsafe<Array<{ row: string }>>('SELECT row_to_json(m)::text AS row FROM mini_program m')
  return rows.map((r) => r.row).join('\n')
}

const key1 = generateSecretKey('k1')

t.test('WECHAT_APPS is imported as configuration rows, served from memory, and no secret is readable in the table', async (t) => {
  const registry = await open(t, new SecretBox([key1]), [SAFE, PLAIN])
  const safe = registry.get(SAFE.appid)
  t.ok(safe, 'served')
  t.equal(safe!.program.source, 'configuration')
  t.equal(safe!.program.secret, SAFE.secret)
  t.equal(safe!.program.profileSecret, SAFE.profileSecret)
  t.same(safe!.program.subscribeTemplates, SAFE.subscribeTemplates)
  t.equal(safe!.program.transferCustomerService, true)
  t.equal(safe!.crypto.appid, SAFE.appid)
  t.ok(registry.get(PLAIN.appid))
  t.equal(registry.get('wx5afe0000000000ff'), undefined)

  const text = await rowsAsText()
  t.match(text, /"app_id":"wx5afe000000000001"/, 'the rows are there')
  for (const secret of [SAFE.token, SAFE.encodingAESKey!, SAFE.previousEncodingAESKey!, SAFE.secret!, SAFE.profileSecret!, PLAIN.token]) {
    t.notOk(text.includes(secret), `${secret.slice(0, 6)}… is not readable in mini_program`)
    // Nor any 8 characters of it in a row.
    t.notOk(text.includes(secret.slice(4, 12)), 'not even a part')
  }
  t.match(text, /"secret":"v1:k1:/, 'sealed under k1')

  const before = await prisma.miniProgram.findUniqueOrThrow({ where: { appId: SAFE.appid } })
  await registry.importConfigured([SAFE, PLAIN])
  const after = await prisma.miniProgram.findUniqueOrThrow({ where: { appId: SAFE.appid } })
  t.equal(after.secret, before.secret, 'an unchanged configuration is not written again')
  t.same(after.changedAt, before.changedAt)

  await registry.importConfigured([SAFE])
  t.equal((await prisma.miniProgram.findUniqueOrThrow({ where: { appId: PLAIN.appid } })).enabled, false, 'no longer listed: disabled, kept')
  await registry.reload()
  t.equal(registry.get(PLAIN.appid), undefined)
  t.equal(registry.list().find((p) => p.appid === PLAIN.appid)?.enabled, false)
  await registry.importConfigured([SAFE, PLAIN])
  await registry.reload()
  t.ok(registry.get(PLAIN.appid), 'listed again: enabled')

  await t.rejects(registry.setEnabled(SAFE.appid, false, 'alice'), ReadOnlyMiniProgram, 'configuration rows are read-only for the console')
  await t.rejects(registry.save({ ...SAFE, token: 'otherToken' }, 'alice'), ReadOnlyMiniProgram)
})

t.test('a change on one instance is in effect on another within 2 s', async (t) => {
  // Two instances: in the real run each has its own database pool and Redis connections.
  const other = REDIS_URL === undefined ? prisma : createPrismaClient({ url: db.url, poolMax: 2 })
  if (other !== prisma) t.teardown(() => other.$disconnect())
  const a = await open(t, new SecretBox([key1]))
  const b = await open(t, new SecretBox([key1]), undefined, other)
  const appid = 'wx5afe000000000003'
  t.equal(b.get(appid), undefined)
  await a.save({ appid, token: 'consoleToken3', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', secret: 'console-secret-3', name: 'Shop' }, 'alice')
  t.ok(a.get(appid), 'at once on the instance that made it')
  t.ok(await within2s(() => b.get(appid) !== undefined), 'added: served by the other within 2 s')
  t.equal(b.get(appid)!.program.name, 'Shop')
  t.equal(b.get(appid)!.program.changedBy, 'alice')
  t.equal(b.get(appid)!.program.source, 'console')

  t.equal(await a.setEnabled(appid, false, 'alice'), true)
  t.ok(await within2s(() => b.get(appid) === undefined), 'disabled: refused by the other within 2 s')
  t.equal(await b.setEnabled(appid, true, 'bob'), true)
  t.ok(await within2s(() => a.get(appid) !== undefined), 're-enabled from the other side')
  t.equal(await a.setEnabled('wx5afe0000000000ee', false, 'alice'), false, 'unknown appid')
  await t.rejects(a.save({ appid: 'wx5afe000000000004', token: 'x' }, 'alice'), /token must be 3 to 32 letters or digits/, 'checked as WECHAT_APPS is')
})

t.test('the periodic reload catches a change whose announcement was lost', async (t) => {
  const registry = await open(t, new SecretBox([key1]), undefined, prisma, 100)
  const appid = 'wx5afe000000000003'
  t.ok(registry.get(appid))
  // Written behind the registry's back: nothing is announced.
  await prisma.miniProgram.update({ where: { appId: appid }, data: { enabled: false, changedAt: new Date() } })
  t.ok(await within2s(() => registry.get(appid) === undefined), 'gone after a periodic reload')
  await prisma.miniProgram.update({ where: { appId: appid }, data: { enabled: true, changedAt: new Date() } })
  t.ok(await within2s(() => registry.get(appid) !== undefined))
})

t.test('the periodic check reads every row only when the table changed', async (t) => {
  const registry = await open(t, new SecretBox([key1]), undefined, prisma, 50)
  const appid = 'wx5afe000000000003'
  const start = registry.loadCounts
  t.ok(await within2s(() => registry.loadCounts.checks >= start.checks + 5), 'checks run')
  t.equal(registry.loadCounts.fullLoads, start.fullLoads, 'no row read while nothing changed')
  await prisma.miniProgram.update({ where: { appId: appid }, data: { name: 'renamed behind its back', changedAt: new Date() } })
  t.ok(await within2s(() => registry.find(appid)?.name === 'renamed behind its back'), 'a change is still caught')
  t.equal(registry.loadCounts.fullLoads, start.fullLoads + 1, 'by one read of every row')
  const after = registry.loadCounts
  t.ok(await within2s(() => registry.loadCounts.checks >= after.checks + 5))
  t.equal(registry.loadCounts.fullLoads, after.fullLoads, 'and none after it')
})

t.test('rotation: re-sealed under the new key, after which the old key can go; a lost key is reported', async (t) => {
  const key2 = generateSecretKey('k2')
  const both = new SecretBox([key2, key1])
  const first = await resealSecrets(prisma, both)
  t.equal(first.failed.length, 0)
  t.ok(first.resealed >= 8, `${first.resealed} values re-sealed`)
  t.equal(first.current, 0)
  t.notMatch(await rowsAsText(), /v1:k1:/, 'nothing left under k1')
  const again = await resealSecrets(prisma, both)
  t.same({ resealed: again.resealed, failed: again.failed }, { resealed: 0, failed: [] }, 'a second run has nothing to do')

  const onlyNew = await open(t, new SecretBox([key2]), undefined)
  t.equal(onlyNew.get(SAFE.appid)?.program.secret, SAFE.secret, 'opens with k2 alone')
  t.equal(onlyNew.get('wx5afe000000000003')?.program.secret, 'console-secret-3')

  const lost = await resealSecrets(prisma, new SecretBox([generateSecretKey('k3')]))
  t.ok(lost.failed.length > 0)
  t.match(lost.failed[0], /^wx5afe\w+ \w+: sealed with key "k2", which KEFU_SECRET_KEY does not list$/)
  t.equal(lost.resealed, 0)
})

t.test('rows sealed under a key no longer listed are not served, and WECHAT_APPS re-seals its own (embedded restarts)', async (t) => {
  // Embedded mode makes a new key at every start: the configuration rows are written again, the others wait for their key.
  const registry = await open(t, new SecretBox([generateSecretKey('generated')]), [SAFE, PLAIN])
  t.equal(registry.get(SAFE.appid)?.program.secret, SAFE.secret, 're-imported under the new key')
  t.equal(registry.get('wx5afe000000000003'), undefined, "a console row under another key: 404, not a crash")
})

t.test('thousands of mini programs in WECHAT_APPS are imported in a few statements, not one round trip each', async (t) => {
  const many: WechatAppConfig[] = Array.from({ length: 2500 }, (_, i) => ({
    appid: `wx7a5e${i.toString(16).padStart(12, '0')}`,
    token: `manyToken${i}`,
    encodingAESKey: crypto.randomBytes(32).toString('base64').slice(0, 43)
  }))
  const writes: string[] = []
  const counting = new Proxy(prisma, {
    get (target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (property !== '$executeRaw' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value
      return (strings: TemplateStringsArray, ...values: unknown[]) => {
        writes.push(strings.join('?').trim().split(/\s+/)[0]!)
        return (value as (s: TemplateStringsArray, ...v: unknown[]) => unknown).call(target, strings, ...values)
      }
    }
  })
  const registry = await open(t, new SecretBox([key1]), [SAFE, PLAIN, ...many], counting)
  t.equal(registry.get(many[2499]!.appid)?.program.token, 'manyToken2499', 'every one served')
  t.ok(writes.filter((w) => w === 'INSERT').length <= 3, `${writes.filter((w) => w === 'INSERT').length} INSERT statements for 2,502 rows`)
  writes.length = 0
  const again = await open(t, new SecretBox([key1]), [SAFE, PLAIN, ...many], counting)
  t.equal(again.size >= 2502, true)
  t.equal(writes.filter((w) => w === 'INSERT').length, 0, 'a restart with the same WECHAT_APPS writes nothing')
})
