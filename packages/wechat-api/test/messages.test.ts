import t from 'tap'
import { customSendBody, imageMessage, linkMessage, miniProgramPageMessage, textMessage, type CustomMessage } from '../src/index.js'
import { APPID, OPENID, apiFor, callsTo, fakeFor } from './helpers.js'

t.test('every message shape reaches WeChat as exactly the documented JSON, with a valid token', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
  const mediaId = await api.uploadTempImage(APPID, png, 'cover.png', 'image/png')

  await api.sendText(APPID, OPENID, '您好，请问有什么可以帮您？ "quotes" \\ \n emoji 😀')
  await api.sendImage(APPID, OPENID, mediaId)
  await api.sendLink(APPID, OPENID, { title: '订单详情', description: '点击查看', url: 'https://example.com/o/1?a=1&b=2', thumbUrl: 'https://example.com/t.png' })
  await api.sendMiniProgramPage(APPID, OPENID, { title: '商品', pagePath: 'pages/item/item?id=42', thumbMediaId: mediaId })

  const sends = callsTo(fake, 'custom/send')
  t.strictSame(sends.map((r) => r.body), [
    { touser: OPENID, msgtype: 'text', text: { content: '您好，请问有什么可以帮您？ "quotes" \\ \n emoji 😀' } },
    { touser: OPENID, msgtype: 'image', image: { media_id: mediaId } },
    { touser: OPENID, msgtype: 'link', link: { title: '订单详情', description: '点击查看', url: 'https://example.com/o/1?a=1&b=2', thumb_url: 'https://example.com/t.png' } },
    { touser: OPENID, msgtype: 'miniprogrampage', miniprogrampage: { title: '商品', pagepath: 'pages/item/item?id=42', thumb_media_id: mediaId } }
  ])
  // WeChat's examples put touser first; keep that order, and nothing more.
  for (const r of sends) {
    const body = r.body as Record<string, Record<string, unknown>>
    const msgtype = body.msgtype as unknown as string
    t.same(Object.keys(body), ['touser', 'msgtype', msgtype], 'touser, msgtype and the message, nothing else')
  }
  for (const r of sends) {
    t.equal(r.method, 'POST')
    t.equal(r.path, '/cgi-bin/message/custom/send')
    t.same(r.query, {}, 'nothing in the query but the token')
    t.equal(r.token, 'valid')
    t.equal(r.appid, APPID)
    t.equal(r.errcode, 0)
  }
  t.same(fake.messages(APPID), sends.map((r) => r.body))
})

t.test('typing: Typing and CancelTyping on the mini-program path', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  await api.setTyping(APPID, OPENID, true)
  await api.setTyping(APPID, OPENID, false)
  const calls = callsTo(fake, 'typing')
  t.same(calls.map((r) => [r.method, r.path, r.body, r.token, r.errcode]), [
    ['POST', '/cgi-bin/message/custom/business/typing', { touser: OPENID, command: 'Typing' }, 'valid', 0],
    ['POST', '/cgi-bin/message/custom/business/typing', { touser: OPENID, command: 'CancelTyping' }, 'valid', 0]
  ])
  for (const r of calls) t.same(Object.keys(r.body as object), ['touser', 'command'])
})

t.test('sendMessage sends a stored message object and copies only WeChat fields', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  const stored = JSON.parse(JSON.stringify(linkMessage({ title: 'T', description: 'D', url: 'https://e.com', thumbUrl: 'https://e.com/p.jpg' }))) as CustomMessage
  ;(stored as unknown as Record<string, unknown>).agentNote = 'not for WeChat'
  await api.sendMessage(APPID, OPENID, stored)
  t.same(callsTo(fake, 'custom/send')[0]?.body, { touser: OPENID, msgtype: 'link', link: { title: 'T', description: 'D', url: 'https://e.com', thumb_url: 'https://e.com/p.jpg' } })
  t.equal(callsTo(fake, 'custom/send')[0]?.errcode, 0)
  t.throws(() => customSendBody(OPENID, { msgtype: 'voice' } as unknown as CustomMessage), /unknown customer-service msgtype "voice"/)
})

t.test('builders produce the stored shape', async (t) => {
  t.same(textMessage('hi'), { msgtype: 'text', text: { content: 'hi' } })
  t.same(imageMessage('M'), { msgtype: 'image', image: { media_id: 'M' } })
  t.same(miniProgramPageMessage({ title: 'a', pagePath: 'p', thumbMediaId: 'm' }), { msgtype: 'miniprogrampage', miniprogrampage: { title: 'a', pagepath: 'p', thumb_media_id: 'm' } })
  t.same(linkMessage({ title: 'a', description: 'b', url: 'c', thumbUrl: 'd' }), { msgtype: 'link', link: { title: 'a', description: 'b', url: 'c', thumb_url: 'd' } })
})
