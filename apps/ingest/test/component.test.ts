// Third-party platform mode against the fake Open Platform: the ticket kept across instances and restarts, an
// authorization creating the mini program, a customer's message stored once, bad signatures refused with nothing
// stored, withdrawal, and no refresh token, ticket or token readable in the tables or the logs.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createMemoryBus } from '@kefu/service'
import { captureLogs, deleteKeysAtTeardown, testKeyPrefix, within, type LogLine } from '@kefu/service/testing'
import { PushCrypto, computeMsgSignature, parsePushBody } from '@kefu/wechat-crypto'
import { FAKE_AUTHORIZER, FAKE_COMPONENT, startFakeOpenPlatform, type FakeOpenPlatform } from '@kefu/wechat-api/testing/open-platform'
import ingestApp from '../src/app.js'
import { APPS, SECRET_KEYS, countRows, fields, fileDatabase } from './helper.js'

const db = await fileDatabase(t, 'ingest_component')
const APPID = FAKE_AUTHORIZER.appid
const OTHER = { appid: 'wxa0a4e00000000002', nickName: '另一个小程序', headImg: 'http://wx.qlogo.cn/mmopen/other/0', userName: 'gh_fa4e00000002' }
const fake = await startFakeOpenPlatform({ authorizers: [FAKE_AUTHORIZER, OTHER] })
t.teardown(() => fake.close())
const logs: LogLine[] = []
/** Every instance caches component_access_token under one prefix, as a deployment's instances do. */
const tokenPrefix = testKeyPrefix('ingest-component-tokens')
deleteKeysAtTeardown(t, tokenPrefix, process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL)

/** Without Redis, the instances of this process share one in-process bus (with Redis, each has its own connection). */
const bus = process.env.REDIS_URL === undefined ? createMemoryBus() : undefined

/** An ingest instance in third-party platform mode, listening (the fake pushes over HTTP). */
async function instance (t: Test): Promise<{ app: FastifyInstance, url: string }> {
  // Embedded PostgreSQL takes two connections: right after a test with two instances, it may still be letting
  // theirs go and drop a new one. Waits for it, at most 5 s.
  const end = Date.now() + 5000
  for (;;) {
    try {
      return await start(t)
    } catch (err) {
      if (process.env.DATABASE_URL !== undefined || !/Connection terminated/.test((err as Error).message) || Date.now() > end) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

async function start (t: Test): Promise<{ app: FastifyInstance, url: string }> {
  const redisPrefix = testKeyPrefix('ingest-component')
  const redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
  deleteKeysAtTeardown(t, redisPrefix, redisUrl)
  const capture = captureLogs()
  const app = Fastify({ logger: { level: 'info', stream: capture.stream }, bodyLimit: 1024 * 1024 })
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await app.close()
    logs.push(...capture.logs)
  }
  try {
    await app.register(fp(ingestApp), {
      apps: APPS,
      secretKeys: SECRET_KEYS,
      databaseUrl: db.url,
      poolMax: db.poolMax,
      redisUrl,
      redisPrefix,
      componentTokenPrefix: tokenPrefix,
      docs: false,
      component: FAKE_COMPONENT,
      wechatApiBase: fake.url,
      ...(bus === undefined ? {} : { bus })
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
  } catch (err) {
    await app.close().catch(() => {})
    throw err
  }
  t.teardown(close)
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }
}

let msgId = 5000000000000000000n
function text (content: string): ReturnType<typeof fields> {
  msgId++
  return fields('text', { content, msgId, toUserName: FAKE_AUTHORIZER.userName, fromUserName: 'oCustomer0000000000000000001' })
}

async function messageRows (app: FastifyInstance, appid: string): Promise<number> {
  return await app.prisma.customerMessage.count({ where: { appId: appid } })
}

t.test('the whole flow: ticket, authorization, a message stored once, bad signatures, withdrawal', async (t) => {
  const a = await instance(t)
  fake.setEventsUrl(`${a.url}/wechat/component/events`)

  const ticket = await fake.pushTicket()
  t.same([ticket.status, ticket.body], [200, 'success'], 'the ticket is answered success')
  const stored = await a.app.prisma.wechatComponent.findUnique({ where: { appId: FAKE_COMPONENT.appid } })
  t.ok(stored !== null && !stored.verifyTicket.includes(ticket.ticket), 'kept, sealed')

  // Another instance (as after a restart: it never saw the push) uses the ticket this one received and stored.
  const b = await instance(t)
  await b.app.component!.api.createPreAuthCode()
  t.equal(fake.componentTokenRefreshes, 1, 'instance B got a component token from the stored ticket')

  const tampered = await fake.pushEvent({ AppId: FAKE_COMPONENT.appid, CreateTime: Math.floor(Date.now() / 1000), InfoType: 'unauthorized', AuthorizerAppid: APPID })
  t.equal(tampered.status, 200, 'an unauthorized notice for a mini program kefu never knew is still success')

  const code = fake.grant(APPID)
  const pushed = await fake.pushAuthorized(APPID, code)
  t.same([pushed.status, pushed.body], [200, 'success'])
  const row = await a.app.prisma.miniProgram.findUnique({ where: { appId: APPID } })
  t.match(row, { source: 'component', enabled: true, name: FAKE_AUTHORIZER.nickName, pictureUrl: FAKE_AUTHORIZER.headImg, originalId: FAKE_AUTHORIZER.userName, token: null, secret: null })
  const authorizer = await a.app.prisma.componentAuthorizer.findUnique({ where: { appId: APPID } })
  t.match(authorizer, { authorized: true, componentAppId: FAKE_COMPONENT.appid, funcInfo: [19, 17] })
  t.not(authorizer!.refreshToken, fake.refreshTokenOf(APPID), 'the refresh token is sealed')
  t.equal(await a.app.component!.store.refreshToken(APPID), fake.refreshTokenOf(APPID), 'and opens')

  // A customer's message: stored once, before success; a repeat delivery gets success and no second row.
  const template = `${a.url}/wechat/component/$APPID$`
  const before = await messageRows(a.app, APPID)
  const message = text('你好，我想问一下订单')
  const first = await fake.pushMessage(template, APPID, message)
  t.same([first.status, first.body], [200, 'success'])
  t.equal(await messageRows(a.app, APPID), before + 1, 'stored under the authorizer appid')
  const repeat = await fake.pushMessage(`${b.url}/wechat/component/$APPID$`, APPID, message)
  t.same([repeat.status, repeat.body], [200, 'success'], 'a repeat delivery, to the other instance, is success')
  t.equal(await messageRows(a.app, APPID), before + 1, 'one row')
  const saved = await a.app.prisma.customerMessage.findFirst({ where: { appId: APPID } })
  t.match(saved, { toUsername: FAKE_AUTHORIZER.userName, msgType: 'text', encryptType: 'aes' })

  // Bad signatures: 401, nothing stored.
  const rows = await countRows(a.app)
  const bad = await fake.pushMessage(template, APPID, text('forged'), { tamper: true })
  t.equal(bad.status, 401)
  t.equal(JSON.parse(bad.body).code, 'KEFU_INGEST_BAD_SIGNATURE')
  const badEvent = await fetch(`${a.url}/wechat/component/events?timestamp=${Math.floor(Date.now() / 1000)}&nonce=1&encrypt_type=aes&msg_signature=0000`, {
    method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<xml><AppId>x</AppId><Encrypt>AAAA</Encrypt></xml>'
  })
  t.equal(badEvent.status, 401)
  t.equal(await countRows(a.app), rows, 'nothing stored')

  // The platform's URL only: a direct push path for the same appid, or an appid that never authorized, is 404.
  t.equal((await fake.pushMessage(template, OTHER.appid, text('not authorized'))).status, 404)
  t.equal((await fake.pushMessage(`${a.url}/wechat/$APPID$`, APPID, text('direct'))).status, 404, 'not at /wechat/:appid')
  t.equal(await countRows(a.app), rows, 'nothing stored')

  // Withdrawal: at once, history kept.
  const withdrawn = await fake.withdraw(APPID)
  t.same([withdrawn.status, withdrawn.body], [200, 'success'])
  t.match(await a.app.prisma.miniProgram.findUnique({ where: { appId: APPID } }), { enabled: false, source: 'component' })
  t.match(await a.app.prisma.componentAuthorizer.findUnique({ where: { appId: APPID } }), { authorized: false, refreshToken: null })
  const after = await fake.pushMessage(template, APPID, text('after withdrawal'))
  t.equal(after.status, 404, 'the instance that got the event refuses at once')
  const timeout = Date.now() + 2000
  let onB = 0
  while (Date.now() < timeout && (onB = (await fake.pushMessage(`${b.url}/wechat/component/$APPID$`, APPID, text('after withdrawal on B'))).status) !== 404) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(onB, 404, 'the other instance within 2 s')
  t.equal(await countRows(a.app), rows, 'nothing stored after withdrawal')
  t.equal(await messageRows(a.app, APPID), before + 1, 'the history stays')

  // Authorized again: a new refresh token, enabled again.
  await fake.pushAuthorized(APPID, fake.grant(APPID))
  t.match(await a.app.prisma.miniProgram.findUnique({ where: { appId: APPID } }), { enabled: true })
  t.equal((await fake.pushMessage(template, APPID, text('back again'))).status, 200)
})

t.test('an event of an InfoType kefu does not use is success; a malformed one 400, nothing stored', async (t) => {
  const a = await instance(t)
  fake.setEventsUrl(`${a.url}/wechat/component/events`)
  const other = await fake.pushEvent({ AppId: FAKE_COMPONENT.appid, CreateTime: Math.floor(Date.now() / 1000), InfoType: 'notify_third_fasteregister' })
  t.same([other.status, other.body], [200, 'success'])
  const empty = await fetch(`${a.url}/wechat/component/events?timestamp=1&nonce=1&msg_signature=x`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '' })
  t.equal(empty.status, 400)
})

t.test("全网发布: WeChat's release check is answered as it wants, and nothing of it is stored", async (t) => {
  const a = await instance(t)
  fake.setEventsUrl(`${a.url}/wechat/component/events`)
  await fake.pushTicket()
  const template = `${a.url}/wechat/component/$APPID$`
  const rows = await countRows(a.app)

  // TESTCOMPONENT_MSG_TYPE_TEXT: the passive reply, encrypted and signed with the platform's token and key.
  const textCheck = await fake.releaseTest(template, 'text')
  t.equal(textCheck.status, 200)
  const envelope = parsePushBody(textCheck.body, 'xml') as Record<string, string>
  t.equal(envelope.MsgSignature, computeMsgSignature(FAKE_COMPONENT.token, envelope.TimeStamp!, envelope.Nonce!, envelope.Encrypt!), 'the reply is signed')
  const inner = parsePushBody(new PushCrypto(FAKE_COMPONENT).decrypt(envelope.Encrypt!).message, 'xml')
  t.match(inner, { ToUserName: textCheck.openid, MsgType: 'text', Content: 'TESTCOMPONENT_MSG_TYPE_TEXT_callback' })

  // QUERY_AUTH_CODE:<code>: an empty answer at once, then the code exchanged and <code>_from_api sent to the sender.
  const check = await fake.releaseTest(template)
  t.same([check.status, check.body], [200, ''], 'answered at once, empty')
  const answered = (): boolean => fake.wechat.messages(check.appid).some((m) => {
    const body = m as { touser?: string, text?: { content?: string } }
    return body.touser === check.openid && body.text?.content === `${check.code}_from_api`
  })
  t.ok(await within(5000, async () => answered()), 'custom/send <code>_from_api within 5 s, with the token the code gave')
  t.ok(fake.requests.some((r) => r.api === 'api_query_auth' && (r.body as { authorization_code?: string }).authorization_code === check.code && r.errcode === 0), 'the code of the message was exchanged')

  // A forged one is refused as any push; none of it is stored.
  const forged = await fake.pushMessage(template.replace('$APPID$', check.appid), check.appid, text('QUERY_AUTH_CODE:made-up'), { tamper: true })
  t.equal(forged.status, 401)
  t.equal(await countRows(a.app), rows, 'nothing stored')
  t.equal(await a.app.prisma.customerMessage.count({ where: { appId: check.appid } }), 0)
})

t.test('no refresh token, ticket or token is readable in the tables or the logs', async (t) => {
  const a = await instance(t)
  const tables = await a.app.prisma.$queryRawUnsafe<Array<{ row: string }>>(
    `SELECT row_to_json(m)::text AS row FROM mini_program m UNION ALL SELECT row_to_json(c)::text FROM component_authorizer c
     UNION ALL SELECT row_to_json(w)::text FROM wechat_component w UNION ALL SELECT row_to_json(x)::text FROM customer_message x`)
  const text = tables.map((r) => r.row).join('\n')
  t.ok(text.includes(APPID), 'the rows are there')
  if (process.env.REDIS_URL !== undefined) t.equal(fake.componentTokenRefreshes, 1, 'one component_access_token for every instance (Redis)')
  const secrets = [...fake.issuedSecrets(), FAKE_COMPONENT.secret, FAKE_COMPONENT.encodingAESKey]
  t.ok(secrets.length >= 5, `${secrets.length} secrets handed out`)
  await a.app.close()
  const logged = logs.map((l) => JSON.stringify(l)).join('\n')
  t.ok(logged.includes('third-party platform event'), 'the events were logged')
  for (const secret of secrets) {
    t.notOk(text.includes(secret), `${secret.slice(0, 12)}… is not in the tables`)
    t.notOk(logged.includes(secret), `${secret.slice(0, 12)}… is not in the logs`)
  }
})
