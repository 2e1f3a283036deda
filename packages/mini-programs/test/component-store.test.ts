// Third-party platform mode's durable state: the ticket (sealed, newest wins, 12 h), the authorizers (sealed refresh
// tokens), the mini program rows they write, what the registry makes of them, and the key rotation.
import t from 'tap'
import { within } from '@kefu/service/testing'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { SecretBox, generateSecretKey } from '@kefu/secrets'
import { createMemoryBus } from '@kefu/service'
import { ComponentStore, MiniProgramRegistry, VERIFY_TICKET_LIFETIME_MS, componentPushCrypto, resealSecrets } from '../src/index.js'

const db = await createTestDatabase('mini_programs_component')
t.teardown(db.drop)
const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
t.teardown(() => prisma.$disconnect())
const COMPONENT = { appid: 'wxc0a4e00000000009', token: 'componentToken09', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }
const APPID = 'wxa0a4e00000000009'
const REFRESH = 'refreshtoken@@@plaintext-never-stored-0123456789'
let now = Date.parse('2026-12-11T00:00:00Z')
const bus = createMemoryBus()

/** Waits for `condition`, at most 2 s: the bound issue 21 promises. */
const within2s = (condition: () => boolean): Promise<boolean> => within(2000, condition)
const oldKey = generateSecretKey('old')
const store = new ComponentStore({ prisma, secrets: new SecretBox([oldKey]), bus, componentAppid: COMPONENT.appid, now: () => now })

t.test('the ticket: sealed, a late older push does not replace a newer one, gone after 12 h', async (t) => {
  t.equal(await store.verifyTicket(), undefined)
  await store.saveVerifyTicket('ticket@@@second', new Date(now))
  await store.saveVerifyTicket('ticket@@@first', new Date(now - 600_000))
  t.equal(await store.verifyTicket(), 'ticket@@@second')
  const row = await prisma.wechatComponent.findUniqueOrThrow({ where: { appId: COMPONENT.appid } })
  t.notOk(row.verifyTicket.includes('second'), 'sealed')
  now += VERIFY_TICKET_LIFETIME_MS
  t.equal(await store.verifyTicket(), undefined, 'expired')
})

t.test('an authorization writes both rows; the registry serves it with the platform crypto; a withdrawal disables it', async (t) => {
  const registry = await MiniProgramRegistry.open({ prisma, bus, secrets: new SecretBox([oldKey]), component: componentPushCrypto(COMPONENT) })
  t.teardown(() => registry.close())
  const without = await MiniProgramRegistry.open({ prisma, bus, secrets: new SecretBox([oldKey]) })
  t.teardown(() => without.close())
  await store.authorize({ appid: APPID, refreshToken: REFRESH, funcInfo: [19], name: '小程序', originalId: 'gh_000000000009', pictureUrl: 'http://wx.qlogo.cn/x' }, 'ada', true)
  t.equal(await store.refreshToken(APPID), REFRESH)
  const raw = (await prisma.componentAuthorizer.findUniqueOrThrow({ where: { appId: APPID } })).refreshToken ?? ''
  t.notOk(raw.includes(REFRESH), 'sealed')
  t.ok(await within2s(() => registry.get(APPID) !== undefined && without.list().some((p) => p.appid === APPID)))
  const entry = registry.get(APPID)
  t.equal(entry?.program.source, 'component')
  t.equal(entry?.crypto.appid, COMPONENT.appid, "the platform's crypto")
  t.match(entry?.program, { name: '小程序', originalId: 'gh_000000000009', pictureUrl: 'http://wx.qlogo.cn/x', token: '' })
  t.equal(without.get(APPID), undefined, 'not served without WECHAT_COMPONENT')
  t.ok(without.list().some((p) => p.appid === APPID), 'but listed')

  await store.saveRefreshToken(APPID, `${REFRESH}-next`)
  t.equal(await store.refreshToken(APPID), `${REFRESH}-next`, 'a refresh token WeChat answered with is kept')
  t.equal(await store.withdraw(APPID), true)
  t.ok(await within2s(() => registry.get(APPID) === undefined), 'disabled')
  t.equal(await store.refreshToken(APPID), undefined)
  t.equal(await store.isAuthorized(APPID), false)
  t.equal(await store.withdraw('wx0000000000000000'), false, 'one kefu never knew')
  await store.authorize({ appid: APPID, refreshToken: REFRESH, funcInfo: [19] }, 'wechat', false)
  await registry.reload(APPID)
  t.equal(registry.get(APPID), undefined, 'an updateauthorized does not re-enable what was disabled')
  await store.authorize({ appid: APPID, refreshToken: REFRESH, funcInfo: [19] }, 'wechat', true)
  t.ok(await within2s(() => registry.get(APPID) !== undefined), 'authorized again: enabled')
})

t.test('secrets:rotate re-seals the ticket and the refresh tokens', async (t) => {
  await store.saveVerifyTicket('ticket@@@third', new Date(now))
  const rotated = new SecretBox([generateSecretKey('new'), oldKey])
  const result = await resealSecrets(prisma, rotated)
  t.equal(result.failed.length, 0)
  t.ok(result.resealed >= 2)
  const onlyNew = new ComponentStore({ prisma, secrets: new SecretBox([generateSecretKey('other')]), bus, componentAppid: COMPONENT.appid, now: () => now })
  await t.rejects(onlyNew.verifyTicket(), 'a key not listed opens nothing')
  const after = new ComponentStore({ prisma, secrets: rotated, bus, componentAppid: COMPONENT.appid, now: () => now })
  t.equal(await after.verifyTicket(), 'ticket@@@third')
  t.equal(await after.refreshToken(APPID), REFRESH)
})
