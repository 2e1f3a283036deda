import t from 'tap'
import { PushCrypto, computeMsgSignature, parsePushBody } from '@kefu/wechat-crypto'
import { PLAIN_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'

const db = await fileDatabase(t, 'ingest_transfer')
const apps = [{ ...SAFE_APP, transferCustomerService: true }, { ...PLAIN_APP, transferCustomerService: true }]

t.test('an app set to transferCustomerService hands user messages to WeChat’s web tool, and still stores them', async (t) => {
  const clock = 1_800_000_000_000
  const app = await build(t, db, { apps, now: () => clock })
  const f = fields('text', { fromUserName: 'o_transfer', createTime: clock / 1000 })

  const plain = await send(app, PLAIN_APP.appid, push(PLAIN_APP, 'plain', 'json', f, { timestamp: String(clock / 1000) }))
  t.equal(plain.statusCode, 200)
  t.match(plain.headers['content-type'], /application\/json/)
  t.same(JSON.parse(plain.body), { ToUserName: 'o_transfer', FromUserName: f.ToUserName, CreateTime: clock / 1000, MsgType: 'transfer_customer_service' })

  const safe = await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'xml', { ...f, MsgId: 42n }, { timestamp: String(clock / 1000) }))
  t.equal(safe.statusCode, 200)
  t.match(safe.headers['content-type'], /text\/xml/)
  const envelope = parsePushBody(safe.body, 'xml') as Record<string, string>
  t.equal(envelope.MsgSignature, computeMsgSignature(SAFE_APP.token, envelope.TimeStamp!, envelope.Nonce!, envelope.Encrypt!), 'the reply is signed')
  const inner = new PushCrypto(SAFE_APP).decrypt(envelope.Encrypt!).message
  t.same(parsePushBody(inner, 'xml'), { ToUserName: 'o_transfer', FromUserName: String(f.ToUserName), CreateTime: String(clock / 1000), MsgType: 'transfer_customer_service' }, 'encrypted like the push')

  const event = await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'json', fields('user_enter_tempsession', { fromUserName: 'o_transfer', createTime: clock / 1000 }), { timestamp: String(clock / 1000) }))
  t.equal(event.body, 'success', 'events are never transferred')
  t.equal(await app.prisma.customerMessage.count({ where: { openid: 'o_transfer' } }), 3, 'everything is stored')
})

t.test('without the setting, user messages get success', async (t) => {
  const app = await build(t, db)
  const res = await send(app, PLAIN_APP.appid, push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: 'o_no_transfer' })))
  t.equal(res.body, 'success')
})
