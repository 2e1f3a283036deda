import t from 'tap'
import { FAKE_APP, startFakeWechat, type FakeWechat } from '../src/testing/fake-wechat.js'
import { OPENID, fakeFor } from './helpers.js'

interface Reply { status: number, json: { errcode?: number, errmsg?: string, [k: string]: unknown } }

async function call (fake: FakeWechat, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${fake.url}${path}`, init)
  return { status: res.status, json: await res.json() as Reply['json'] }
}

const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
const tokenRequest = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ grant_type: 'client_credential', appid: FAKE_APP.appid, secret: FAKE_APP.secret, ...extra })

async function tokenOf (fake: FakeWechat, force = false): Promise<string> {
  const { json } = await call(fake, '/cgi-bin/stable_token', post(tokenRequest({ force_refresh: force })))
  return json.access_token as string
}

t.test('stable_token: issues one token, returns it again in normal mode, replaces and invalidates it when forced', async (t) => {
  const fake = await fakeFor(t)
  const first = await call(fake, '/cgi-bin/stable_token', post(tokenRequest()))
  t.equal(first.status, 200)
  t.match(first.json, { access_token: /^\d+_[A-Za-z0-9_-]{60,}$/, expires_in: 7200 })
  t.equal(await tokenOf(fake), first.json.access_token, 'normal mode: same token')
  t.equal(fake.tokenRefreshes, 1)
  const forced = await tokenOf(fake, true)
  t.not(forced, first.json.access_token)
  t.equal(fake.tokenRefreshes, 2)
  t.equal(fake.forcedRefreshes, 1)
  t.equal(fake.tokenRequests, 3)
  const old = await call(fake, `/cgi-bin/message/custom/business/typing?access_token=${first.json.access_token as string}`, post({ touser: OPENID, command: 'Typing' }))
  t.equal(old.json.errcode, 40001, 'the replaced token is refused')
  t.match(old.json.errmsg, /^invalid credential, access_token is invalid or not latest rid: [0-9a-f]+$/)
})

t.test('expireTokens → 42001 and a new token in normal mode; invalidateTokens → 40001', async (t) => {
  const fake = await fakeFor(t)
  const token = await tokenOf(fake)
  const typing = async (tok: string): Promise<number | undefined> =>
    (await call(fake, `/cgi-bin/message/custom/business/typing?access_token=${tok}`, post({ touser: OPENID, command: 'Typing' }))).json.errcode
  t.equal(await typing(token), 0)
  fake.expireTokens()
  t.equal(await typing(token), 42001)
  const second = await tokenOf(fake)
  t.not(second, token)
  t.equal(await typing(second), 0)
  fake.invalidateTokens(FAKE_APP.appid)
  t.equal(await typing(second), 40001)
  t.not(await tokenOf(fake), second)
  t.equal(fake.tokenRefreshes, 3)
})

t.test('refuses what WeChat refuses', async (t) => {
  const fake = await fakeFor(t)
  const token = await tokenOf(fake)
  const send = `/cgi-bin/message/custom/send?access_token=${token}`
  const mediaId = fake.addMedia(FAKE_APP.appid, Buffer.from('img'), 'image/png')
  const cases: Array<[string, string, RequestInit, number, RegExp?]> = [
    ['stable_token: unknown field', '/cgi-bin/stable_token', post(tokenRequest({ scope: 'x' })), 40035, /hint: \[scope\]/],
    ['stable_token: missing secret', '/cgi-bin/stable_token', post({ grant_type: 'client_credential', appid: FAKE_APP.appid }), 40035, /\[secret\]/],
    ['stable_token: force_refresh as a string', '/cgi-bin/stable_token', post(tokenRequest({ force_refresh: 'true' })), 40035, /\[force_refresh\]/],
    ['stable_token: other grant_type', '/cgi-bin/stable_token', post(tokenRequest({ grant_type: 'password' })), 40035, /\[grant_type\]/],
    ['stable_token: unknown appid', '/cgi-bin/stable_token', post(tokenRequest({ appid: 'wx0000000000000000' })), 40013],
    ['stable_token: wrong secret', '/cgi-bin/stable_token', post(tokenRequest({ secret: 'nope' })), 40125],
    ['stable_token: GET', '/cgi-bin/stable_token', {}, 43002],
    ['send: no token', '/cgi-bin/message/custom/send', post({ touser: OPENID, msgtype: 'text', text: { content: 'x' } }), 41001],
    ['send: unknown token', '/cgi-bin/message/custom/send?access_token=1_nope', post({ touser: OPENID, msgtype: 'text', text: { content: 'x' } }), 40001],
    ['send: empty body', send, { method: 'POST' }, 44002],
    ['send: not JSON', send, post('{"touser":'), 47001],
    ['send: JSON array', send, post([1]), 47001],
    ['send: unknown top-level field', send, post({ touser: OPENID, msgtype: 'text', text: { content: 'x' }, customservice: { kf_account: 'a' } }), 40035, /\[customservice\]/],
    ['send: content missing', send, post({ touser: OPENID, msgtype: 'text', text: {} }), 40035, /\[text\.content\]/],
    ['send: extra field in text', send, post({ touser: OPENID, msgtype: 'text', text: { content: 'x', color: 'red' } }), 40035, /\[text\.color\]/],
    ['send: content not a string', send, post({ touser: OPENID, msgtype: 'text', text: { content: 1 } }), 40035],
    ['send: empty content', send, post({ touser: OPENID, msgtype: 'text', text: { content: '' } }), 44004],
    ['send: unknown msgtype', send, post({ touser: OPENID, msgtype: 'voice', voice: { media_id: mediaId } }), 40008],
    ['send: msgtype without its object', send, post({ touser: OPENID, msgtype: 'image', text: { content: 'x' } }), 40035],
    ['send: link without thumb_url', send, post({ touser: OPENID, msgtype: 'link', link: { title: 't', description: 'd', url: 'u' } }), 40035, /\[link\.thumb_url\]/],
    ['send: camelCase field', send, post({ touser: OPENID, msgtype: 'miniprogrampage', miniprogrampage: { title: 't', pagePath: 'p', thumb_media_id: mediaId } }), 40035, /pagePath/],
    ['send: unknown media', send, post({ touser: OPENID, msgtype: 'image', image: { media_id: 'nope' } }), 40007],
    ['send: bad openid', send, post({ touser: 'no spaces allowed', msgtype: 'text', text: { content: 'x' } }), 40003],
    ['send: extra query', `${send}&debug=1`, post({ touser: OPENID, msgtype: 'text', text: { content: 'x' } }), 40035],
    ['typing: bad command', `/cgi-bin/message/custom/business/typing?access_token=${token}`, post({ touser: OPENID, command: 'typing' }), 45072],
    ['typing: official-account path', `/cgi-bin/message/custom/typing?access_token=${token}`, post({ touser: OPENID, command: 'Typing' }), 40066],
    ['upload: not multipart', `/cgi-bin/media/upload?access_token=${token}&type=image`, post({}), 41005],
    ['upload: type voice', `/cgi-bin/media/upload?access_token=${token}&type=voice`, { method: 'POST' }, 40004],
    ['get: no media_id', `/cgi-bin/media/get?access_token=${token}`, {}, 41006],
    ['get: POST', `/cgi-bin/media/get?access_token=${token}&media_id=${mediaId}`, { method: 'POST' }, 43001]
  ]
  for (const [name, path, init, errcode, errmsg] of cases) {
    const { json } = await call(fake, path, init)
    t.equal(json.errcode, errcode, name)
    if (errmsg !== undefined) t.match(json.errmsg, errmsg, `${name}: ${String(json.errmsg)}`)
  }
  t.equal(fake.messages().length, 0, 'nothing counted as sent')
  t.equal(fake.requests.length, cases.length + 1)
  t.notOk(fake.requests.some((r) => 'access_token' in r.query), 'no token in recorded queries')
  t.same(fake.requests.find((r) => r.path === '/cgi-bin/message/custom/send' && r.errcode === 40035 && 'debug' in r.query)?.query, { debug: '1' })
})

t.test('multipart upload: only one file, in the field "media"', async (t) => {
  const fake = await fakeFor(t)
  const token = await tokenOf(fake)
  const upload = async (form: FormData): Promise<Reply> => await call(fake, `/cgi-bin/media/upload?access_token=${token}&type=image`, { method: 'POST', body: form })
  const good = new FormData()
  good.append('media', new Blob([Buffer.from('89504e47', 'hex')], { type: 'image/png' }), 'a.png')
  const ok = await upload(good)
  t.match(ok.json, { errcode: 0, type: 'image', media_id: /^[A-Za-z0-9_-]+$/, created_at: Number })
  const wrongField = new FormData()
  wrongField.append('file', new Blob(['x'], { type: 'image/png' }), 'a.png')
  t.equal((await upload(wrongField)).json.errcode, 40035)
  const none = new FormData()
  none.append('note', 'hello')
  t.equal((await upload(none)).json.errcode, 40035)
  const empty = new FormData()
  empty.append('media', new Blob([], { type: 'image/png' }), 'a.png')
  t.equal((await upload(empty)).json.errcode, 40009)
})

t.test('an image larger than allowed: 40009', async (t) => {
  const fake = await fakeFor(t, { maxImageBytes: 1000 })
  const token = await tokenOf(fake)
  const form = new FormData()
  form.append('media', new Blob([new Uint8Array(1001)], { type: 'image/png' }), 'big.png')
  const { json } = await call(fake, `/cgi-bin/media/upload?access_token=${token}&type=image`, { method: 'POST', body: form })
  t.equal(json.errcode, 40009)
})

t.test('failNext fails exactly the next N good calls of that API, then it succeeds again', async (t) => {
  const fake = await fakeFor(t)
  const token = await tokenOf(fake)
  fake.failNext('custom/send', 45015, { times: 2 })
  fake.failNext('custom/send', 45047)
  const send = async (): Promise<number | undefined> =>
    (await call(fake, `/cgi-bin/message/custom/send?access_token=${token}`, post({ touser: OPENID, msgtype: 'text', text: { content: 'x' } }))).json.errcode
  // A bad call does not use up an injected failure.
  t.equal((await call(fake, '/cgi-bin/message/custom/send?access_token=1_bad', post({}))).json.errcode, 40001)
  t.equal((await call(fake, `/cgi-bin/message/custom/business/typing?access_token=${token}`, post({ touser: OPENID, command: 'Typing' }))).json.errcode, 0, 'other APIs unaffected')
  t.same([await send(), await send(), await send(), await send()], [45015, 45015, 45047, 0])
  t.equal(fake.messages().length, 1)
})

t.test('records: api, appid, token status, body; waitForRequest sees past and future requests', async (t) => {
  const fake = await fakeFor(t)
  const token = await tokenOf(fake)
  const later = fake.waitForRequest((r) => r.api === 'typing')
  await call(fake, `/cgi-bin/message/custom/business/typing?access_token=${token}`, post({ touser: OPENID, command: 'CancelTyping' }))
  const seen = await later
  t.match(seen, { api: 'typing', method: 'POST', appid: FAKE_APP.appid, token: 'valid', errcode: 0, body: { touser: OPENID, command: 'CancelTyping' }, query: {} })
  t.equal(await fake.waitForRequest((r) => r.api === 'stable_token'), fake.requests[0], 'a past request resolves at once')
  await t.rejects(fake.waitForRequest((r) => r.api === 'media/get', 20), /no matching request within 20 ms/)
  fake.clearRequests()
  t.same(fake.requests, [])
  t.equal(fake.tokenRequests, 0)
})

t.test('close() ends held and hanging requests instead of waiting for them', async (t) => {
  const fake = await startFakeWechat()
  const held = fake.hangNext('stable_token')
  const hanging = fetch(`${fake.url}/cgi-bin/stable_token`, post(tokenRequest())).then(async (r) => await r.json() as unknown, (e: unknown) => e)
  await held
  await fake.close()
  const outcome = await hanging
  t.ok(outcome instanceof Error || (outcome as { errcode?: number }).errcode === -1, 'answered -1 or cut off')
})
