import t from 'tap'
import { readFileSync } from 'node:fs'
import { APPS, PLAIN_APP, ROTATED_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'
import { buildPush, messageFields } from '@kefu/wechat-crypto'

const vectors = JSON.parse(readFileSync(new URL('../../../packages/wechat-crypto/test/fixtures/wechat-vectors.json', import.meta.url), 'utf8'))
const db = await fileDatabase(t, 'ingest_wechat')

t.test('URL verification answers echostr for the published vector, 401 otherwise', async (t) => {
  const v = vectors.urlVerification
  const app = await build(t, db, { apps: [{ appid: 'wx00000000000000c3', token: v.token }], now: () => Number(v.timestamp) * 1000 })
  const ok = await app.inject({ url: '/wechat/wx00000000000000c3', query: { signature: v.signature, timestamp: v.timestamp, nonce: v.nonce, echostr: v.echostr } })
  t.equal(ok.statusCode, 200)
  t.equal(ok.body, v.echostr)
  const bad = await app.inject({ url: '/wechat/wx00000000000000c3', query: { signature: v.signature.replace(/^./, '0'), timestamp: v.timestamp, nonce: v.nonce, echostr: v.echostr } })
  t.equal(bad.statusCode, 401)
  t.equal(bad.json().code, 'KEFU_INGEST_BAD_SIGNATURE')
  t.equal((await app.inject({ url: '/wechat/wx00000000000000ff', query: { signature: v.signature, timestamp: v.timestamp, nonce: v.nonce, echostr: v.echostr } })).statusCode, 404)
})

t.test("WeChat's published safe-mode push is verified, decrypted and stored", async (t) => {
  const v = vectors.safeModePush
  const app = await build(t, db, { now: () => Number(v.timestamp) * 1000 })
  const res = await app.inject({
    method: 'POST',
    url: `/wechat/${v.appid}`,
    query: { signature: v.signature, timestamp: v.timestamp, nonce: v.nonce, openid: v.openid, encrypt_type: 'aes', msg_signature: v.msg_signature },
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ ToUserName: 'gh_97417a04a28d', Encrypt: v.Encrypt })
  })
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'success')
  const row = await app.prisma.customerMessage.findFirstOrThrow({ where: { appId: v.appid, openid: v.openid } })
  t.equal(row.msgType, 'event')
  t.equal(row.event, 'debug_demo')
  t.equal(row.payload, v.decrypted.message)
  t.equal(row.encrypt, v.Encrypt)
  t.equal(row.msgSignature, v.msg_signature)
  t.equal(row.wechatCreateTime, 1714112445n)
  t.same(JSON.parse(row.msgInfo), JSON.parse(v.decrypted.message), 'unknown events keep every field')
})

const expectations = {
  text: (info: Record<string, unknown>) => ({ text: info.Content }),
  image: (info: Record<string, unknown>) => ({ pic: info.PicUrl, media_id: info.MediaId }),
  miniprogrampage: (info: Record<string, unknown>) => ({ title: info.Title, app_id: info.AppId, page_path: info.PagePath, thumb_url: info.ThumbUrl, thumb_media_id: info.ThumbMediaId }),
  user_enter_tempsession: (info: Record<string, unknown>) => ({ event: 'user_enter_tempsession', session_from: info.SessionFrom }),
  event: (info: Record<string, unknown>) => Object.fromEntries(Object.entries(info).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]))
} as const

t.test('every mode × format × message type is stored and reads back exactly', async (t) => {
  const app = await build(t, db)
  let n = 0
  for (const [mode, target] of [['plain', PLAIN_APP], ['compat', SAFE_APP], ['safe', SAFE_APP], ['safe', ROTATED_APP]] as const) {
    for (const format of ['json', 'xml'] as const) {
      for (const type of ['text', 'image', 'miniprogrampage', 'user_enter_tempsession', 'event'] as const) {
        n++
        const msgId = 22876340532172986n + BigInt(n) * 1000000007n
        const f = messageFields({ type, msgId, fromUserName: `o_user_${n}`, content: `内容 ${n} <&> "q"` })
        const res = await send(app, target.appid, push(target, mode, format, f))
        const label = `${mode} ${format} ${type} → ${target.appid}`
        t.equal(res.statusCode, 200, label)
        t.equal(res.body, 'success')
        const row = await app.prisma.customerMessage.findFirstOrThrow({ where: { appId: target.appid, openid: `o_user_${n}` } })
        t.equal(row.msgType, f.MsgType)
        t.equal(row.fromUsername, `o_user_${n}`)
        t.equal(row.toUsername, f.ToUserName)
        t.equal(row.format, format)
        t.equal(row.encryptType, mode === 'plain' ? null : 'aes')
        t.equal(row.msgId, 'MsgId' in f ? msgId.toString() : null, `${label}: MsgId exact`)
        t.same(JSON.parse(row.msgInfo), expectations[type](f as Record<string, unknown>), `${label}: msg_info`)
      }
    }
  }
  t.equal(await app.prisma.customerMessage.count({ where: { openid: { startsWith: 'o_user_' } } }), n, 'one row per push')
})

t.test('the previous key keeps working during rotation', async (t) => {
  const app = await build(t, db)
  const f = fields('text', { fromUserName: 'o_rotation', msgId: 111n })
  const old = buildPush({ appid: ROTATED_APP.appid, token: ROTATED_APP.token, encodingAESKey: ROTATED_APP.previousEncodingAESKey, mode: 'safe', format: 'json', fields: f })
  t.equal((await send(app, ROTATED_APP.appid, old)).statusCode, 200)
  const stranger = buildPush({ appid: ROTATED_APP.appid, token: ROTATED_APP.token, encodingAESKey: SAFE_APP.encodingAESKey, mode: 'safe', format: 'json', fields: { ...f, MsgId: 112n } })
  t.equal((await send(app, ROTATED_APP.appid, stranger)).statusCode, 400, 'a key that is neither current nor previous fails')
})

t.test('a retried delivery is stored once and answered success every time', async (t) => {
  const app = await build(t, db)
  const f = fields('text', { fromUserName: 'o_retry', msgId: 9223372036854775807n })
  for (let i = 0; i < 3; i++) {
    // WeChat's retries carry a fresh timestamp and nonce: dedupe rests on MsgId, not on the request.
    const res = await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'xml', f))
    t.equal(res.statusCode, 200)
    t.equal(res.body, 'success')
  }
  const same = push(PLAIN_APP, 'plain', 'json', fields('user_enter_tempsession', { fromUserName: 'o_retry', createTime: 1714112445 }))
  t.equal((await send(app, PLAIN_APP.appid, same)).statusCode, 200)
  t.equal((await send(app, PLAIN_APP.appid, same)).statusCode, 200, 'the identical request again is answered as before')
  t.equal(await app.prisma.customerMessage.count({ where: { openid: 'o_retry' } }), 2)
  const row = await app.prisma.customerMessage.findFirstOrThrow({ where: { openid: 'o_retry', msgType: 'text' } })
  t.equal(row.msgId, '9223372036854775807', 'the largest 64-bit MsgId survives')
})

t.test('several mini programs at once; health and readiness', async (t) => {
  const app = await build(t, db)
  t.same(APPS.length, 3)
  t.equal((await app.inject('/healthz')).statusCode, 200)
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })
})
