// Third-party platform mode in the console, with ingest in that mode beside it, against the fake Open Platform:
// /api/component, an administrator's round trip through WeChat's authorization page, replies going out with the
// authorizer token (refreshed on expiry), and a withdrawal stopping them.
import t from 'tap'
import ingestApp from '@kefu/ingest'
import { generateSecretKey } from '@kefu/secrets'
import { bindServer, deleteKeysAtTeardown, startSite, testKeyPrefix, within } from '@kefu/service/testing'
import { FAKE_AUTHORIZER, FAKE_COMPONENT, startFakeOpenPlatform } from '@kefu/wechat-api/testing/open-platform'
import { messageFields } from '@kefu/wechat-crypto'
import { APPS, Agent, addAgent, startConsoleSystem } from '../../test/helper.js'
import { createWechatSender } from '../common/wechat.js'

const APPID = FAKE_AUTHORIZER.appid
const OPENID = 'oCustomer0000000000000000002'
const secretKeys = [generateSecretKey('component-test')]
const redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const tokenPrefix = testKeyPrefix('console-component')
deleteKeysAtTeardown(t, tokenPrefix, redisUrl)

const fake = await startFakeOpenPlatform()
t.teardown(() => fake.close())
const sys = await startConsoleSystem(t, {
  label: 'console_component',
  console: { component: FAKE_COMPONENT, wechatApiBase: fake.url, componentAuthorizeUrl: fake.authorizeUrl, secretKeys, componentTokenPrefix: tokenPrefix, teamwork: { autoAssignSweepMs: 0 } }
})
const bound = await bindServer()
const ingestPrefix = testKeyPrefix('console-component-ingest')
deleteKeysAtTeardown(t, ingestPrefix, redisUrl)
await startSite(t, ingestApp, {
  apps: APPS, prisma: sys.prisma, redisUrl, redisPrefix: ingestPrefix, bus: sys.bus, docs: false, secretKeys,
  component: FAKE_COMPONENT, wechatApiBase: fake.url, componentTokenPrefix: tokenPrefix
}, { server: bound.server, quiet: true })
const ingestUrl = `http://127.0.0.1:${bound.port}`
fake.setEventsUrl(`${ingestUrl}/wechat/component/events`)
await fake.pushTicket()

await addAgent(sys, 'ada', [APPS[0]!.appid], { role: 'admin' })
await addAgent(sys, 'bob', [APPS[0]!.appid])
const ada = new Agent()
await ada.signIn(sys, 'ada')
const bob = new Agent()
await bob.signIn(sys, 'bob')

/** Waits for `condition`, at most 2 s: the bound issue 21 promises. */
const within2s = (condition: () => Promise<boolean>): Promise<boolean> => within(2000, condition)

t.test('GET /api/component says the mode is on and where to start', async (t) => {
  const res = await bob.api(sys, 'GET', '/api/component')
  t.equal(res.status, 200)
  t.same(res.json(), { configured: true, componentAppid: FAKE_COMPONENT.appid, authorizeUrl: '/component/authorize' })
  t.equal((await new Agent().api(sys, 'GET', '/api/component')).status, 401, 'signed in only')
})

t.test('a console without WECHAT_COMPONENT answers 404', { skip: redisUrl === undefined && 'a second console instance needs REDIS_URL (embedded run)' }, async (t) => {
  const plain = await sys.startConsole({ component: undefined })
  const res = await bob.request(plain, 'GET', '/api/component', { headers: { origin: sys.console.url } })
  t.equal(res.status, 404)
  t.equal((await ada.request(plain, 'GET', '/component/authorize')).status, 404)
})

t.test("an administrator authorizes a mini program through WeChat's page; an agent may not", async (t) => {
  t.equal((await bob.request(sys.console, 'GET', '/component/authorize')).status, 403)
  const start = await ada.request(sys.console, 'GET', '/component/authorize')
  t.equal(start.status, 302)
  const page = new URL(start.headers.get('location')!)
  t.equal(page.origin + page.pathname, fake.authorizeUrl, "WeChat's authorization page")
  t.equal(page.searchParams.get('redirect_uri'), `${sys.console.url}/component/callback`)
  t.equal(page.searchParams.get('component_appid'), FAKE_COMPONENT.appid)
  // The merchant scans and confirms: WeChat notifies ingest, then sends the browser back.
  const back = await fetch(page, { redirect: 'manual' })
  t.equal(back.status, 302)
  const callback = new URL(back.headers.get('location')!)
  t.ok(callback.searchParams.get('auth_code'))
  t.equal((await bob.request(sys.console, 'GET', callback.pathname + callback.search)).status, 403, 'only an administrator finishes it')
  const done = await ada.request(sys.console, 'GET', callback.pathname + callback.search)
  t.equal(done.status, 303)
  t.equal(done.headers.get('location'), `/?authorized=${APPID}`)
  t.match(await sys.prisma.miniProgram.findUnique({ where: { appId: APPID } }), { source: 'component', enabled: true, name: FAKE_AUTHORIZER.nickName, changedBy: 'ada' })
  t.equal((await ada.request(sys.console, 'GET', '/component/callback?auth_code=made-up')).status, 400, 'a code WeChat does not know')
  t.equal((await ada.request(sys.console, 'GET', '/component/callback')).status, 400, 'no code')
})

t.test("a customer's message is stored once; replies go out with the authorizer token, refreshed on expiry; withdrawal stops them", async (t) => {
  const message = messageFields({ type: 'text', content: '在吗', toUserName: FAKE_AUTHORIZER.userName, fromUserName: OPENID, msgId: 6100000000000000001n })
  for (let i = 0; i < 2; i++) {
    const res = await fake.pushMessage(`${ingestUrl}/wechat/component/$APPID$`, APPID, message)
    t.same([res.status, res.body], [200, 'success'])
  }
  t.equal(await sys.prisma.customerMessage.count({ where: { appId: APPID } }), 1, 'one row for two deliveries')

  // The console's WeChat sender, with the token source the console gives it in this mode.
  const component = sys.console.app.component!
  t.ok(await within2s(async () => component.api.has(APPID)), 'the console knows the mini program is served by the platform')
  const sender = await createWechatSender({ baseUrl: fake.url, apps: { find: () => undefined }, redis: null, redisPrefix: 'unused:', now: Date.now, externalTokens: component.api })
  t.teardown(() => sender.close())
  await sender.send(APPID, OPENID, { msgtype: 'text', text: { content: '您好，请问有什么可以帮您？' } })
  const sent = fake.wechat.requests.filter((r) => r.api === 'custom/send' && r.errcode === 0)
  t.equal(sent.length, 1)
  t.equal(sent[0]!.appid, APPID, "sent with the authorizer's token")
  const refreshes = fake.authorizerTokenRefreshes(APPID)
  fake.expireAuthorizerToken(APPID)
  await sender.send(APPID, OPENID, { msgtype: 'text', text: { content: '还在吗？' } })
  t.equal(fake.authorizerTokenRefreshes(APPID), refreshes + 1, 'renewed once after 42001')
  t.equal(fake.wechat.messages(APPID).length, 2)

  await fake.withdraw(APPID)
  t.ok(await within2s(async () => !component.api.has(APPID)), 'withdrawn: the console stops sending within 2 s')
  const refused = await sender.send(APPID, OPENID, { msgtype: 'text', text: { content: 'after' } }).then(() => null, (err: { code?: string }) => err.code)
  t.equal(refused, 'KEFU_WECHAT_API_UNKNOWN_APP')
  t.equal(fake.wechat.messages(APPID).length, 2, 'nothing sent')
  t.equal((await fake.pushMessage(`${ingestUrl}/wechat/component/$APPID$`, APPID, { ...message, MsgId: 6100000000000000002n })).status, 404, 'nothing received')
  t.equal(await sys.prisma.customerMessage.count({ where: { appId: APPID } }), 1, 'history kept')
})
