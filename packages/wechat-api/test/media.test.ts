import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { createMemoryTokenStore, explainErrcode, WechatApi } from '../src/index.js'
import { FAKE_APP } from '../src/testing/fake-wechat.js'
import { APPID, OPENID, apiFor, callsTo, fakeFor, rejection } from './helpers.js'

const png = (size: number): Buffer => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(size)])

t.test('upload a temporary image, send it, and download it again byte for byte', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  const bytes = png(300_000)
  const mediaId = await api.uploadTempImage(APPID, bytes, '截图 1.png', 'image/png')
  t.match(mediaId, /^[A-Za-z0-9_-]{20,}$/)

  const [upload] = callsTo(fake, 'media/upload')
  t.equal(upload?.method, 'POST')
  t.equal(upload?.path, '/cgi-bin/media/upload')
  t.same(upload?.query, { type: 'image' })
  t.equal(upload?.token, 'valid')
  t.same(upload?.body, { media: { filename: '截图 1.png', contentType: 'image/png', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } })
  t.ok(fake.media(mediaId)?.bytes.equals(bytes), 'the fake stored the exact bytes')
  t.equal(fake.media(mediaId)?.appid, APPID)

  await api.sendImage(APPID, OPENID, mediaId)
  t.same(fake.messages(), [{ touser: OPENID, msgtype: 'image', image: { media_id: mediaId } }])

  const media = await api.getMedia(APPID, mediaId)
  t.equal(media.contentType, 'image/png')
  t.ok(Buffer.isBuffer(media.body))
  t.ok(media.body.equals(bytes), 'downloaded bytes equal uploaded bytes')
  t.same(callsTo(fake, 'media/get')[0]?.query, { media_id: mediaId })
})

t.test('media a user sent (pushed MediaId) downloads through getMedia', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  const jpeg = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), randomBytes(1000)])
  const mediaId = fake.addMedia(APPID, jpeg, 'image/jpeg', 'user.jpg')
  const media = await api.getMedia(APPID, mediaId)
  t.equal(media.contentType, 'image/jpeg')
  t.ok(media.body.equals(jpeg))
})

t.test('unknown or foreign media: 40007, explained', async (t) => {
  const other = { appid: 'wxfa4e000000000002', secret: 'other-secret-000000000000000002' }
  const fake = await fakeFor(t, { apps: [FAKE_APP, other] })
  const api = apiFor(fake, { apps: [FAKE_APP, other] })
  const theirs = fake.addMedia(other.appid, png(10), 'image/png')
  for (const mediaId of ['no-such-media', theirs]) {
    const err = await rejection(api.getMedia(APPID, mediaId))
    t.match(err, { code: 'KEFU_WECHAT_API_ERRCODE', errcode: 40007, api: 'cgi-bin/media/get' })
    t.equal(err.explain('en'), explainErrcode(40007, 'en'))
    t.match(err.explain('en'), /3 days/)
  }
  t.match(await rejection(api.sendImage(APPID, OPENID, theirs)), { errcode: 40007 }, 'nor can another app\'s media be sent')
})

t.test('an upload WeChat refuses: not an image type', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  const err = await rejection(api.uploadTempImage(APPID, Buffer.from('%PDF-1.7'), 'doc.pdf', 'application/pdf'))
  t.match(err, { code: 'KEFU_WECHAT_API_ERRCODE', errcode: 40005, api: 'cgi-bin/media/upload' })
})

t.test('after a rejected token, upload and download are retried with the body built again', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  await api.sendText(APPID, OPENID, 'warm')
  fake.invalidateTokens()
  const bytes = png(5000)
  const mediaId = await api.uploadTempImage(APPID, bytes, 'a.png', 'image/png')
  const uploads = callsTo(fake, 'media/upload')
  t.same(uploads.map((r) => r.errcode), [40001, 0])
  t.equal((uploads[1]?.body as { media: { size: number } }).media.size, bytes.length, 'the retry carried the whole file')
  fake.invalidateTokens()
  t.ok((await api.getMedia(APPID, mediaId)).body.equals(bytes))
  t.same(callsTo(fake, 'media/get').map((r) => r.errcode), [40001, 0])
  t.equal(callsTo(fake, 'stable_token').length, 3)
})

t.test('a download stops at maxMediaBytes: refused on its Content-Length, cut off once that many bytes came without one', async (t) => {
  const fake = await fakeFor(t)
  const limit = 1024 * 1024
  const api = apiFor(fake, { maxMediaBytes: limit })
  const exact = fake.addMedia(APPID, png(limit - 8), 'image/png', 'exact.png', undefined, { chunked: true })
  t.equal((await api.getMedia(APPID, exact)).body.length, limit, 'a file of exactly the limit is taken')
  const big = png(48 * 1024 * 1024)
  for (const chunked of [false, true]) {
    const mediaId = fake.addMedia(APPID, big, 'image/png', 'big.png', undefined, { chunked })
    fake.clearRequests()
    const err = await rejection(api.getMedia(APPID, mediaId))
    t.match(err, { code: 'KEFU_WECHAT_API_MEDIA_TOO_LARGE', api: 'cgi-bin/media/get', errcode: null }, chunked ? 'chunked' : 'with Content-Length')
    t.match(err.message, chunked ? /larger than the 1048576 bytes allowed/ : /media of 50331656 bytes, more than the 1048576 allowed/)
    t.match(err.explain('en'), /larger than allowed/)
    // What the fake handed to the connection is bounded by the socket buffers, not by the file.
    t.ok(fake.mediaBytesSent < 16 * 1024 * 1024, `${fake.mediaBytesSent} of ${big.length} bytes sent`)
    t.equal(callsTo(fake, 'media/get').length, 1, 'asked once')
  }
})

t.test('media/get answers that are not media', async (t) => {
  const answer = (make: () => Response): WechatApi => new WechatApi({
    baseUrl: 'http://wechat.invalid',
    apps: [FAKE_APP],
    tokenStore: createMemoryTokenStore(),
    maxMediaBytes: 1000,
    fetch: async (input) => String(input).includes('stable_token') ? Response.json({ access_token: 'tok', expires_in: 7200 }) : make()
  })
  const textError = answer(() => new Response('{"errcode":40007,"errmsg":"invalid media_id"}', { headers: { 'content-type': 'text/plain' } }))
  t.match(await rejection(textError.getMedia(APPID, 'm')), { code: 'KEFU_WECHAT_API_ERRCODE', errcode: 40007 }, 'JSON error sent as text/plain')
  const jsonNoErr = answer(() => Response.json({ hello: 1 }))
  t.match(await rejection(jsonNoErr.getMedia(APPID, 'm')), { code: 'KEFU_WECHAT_API_BAD_RESPONSE', message: /instead of media/ })
  const tooBig = answer(() => new Response(new Uint8Array(1001), { headers: { 'content-type': 'image/png' } }))
  t.match(await rejection(tooBig.getMedia(APPID, 'm')), { code: 'KEFU_WECHAT_API_MEDIA_TOO_LARGE', message: /1000/ })
  const empty = answer(() => new Response(new Uint8Array(0), { headers: { 'content-type': 'image/png' } }))
  t.match(await rejection(empty.getMedia(APPID, 'm')), { code: 'KEFU_WECHAT_API_BAD_RESPONSE', message: /empty media/ })
  const fits = answer(() => new Response(new Uint8Array(1000).fill(7), { headers: { 'content-type': 'image/gif' } }))
  const got = await fits.getMedia(APPID, 'm')
  t.equal(got.body.length, 1000)
  t.equal(got.contentType, 'image/gif')
})
