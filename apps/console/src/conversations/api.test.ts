import t from 'tap'
import { APPS, Agent, startConsoleSystem } from '../../test/helper.js'

const sys = await startConsoleSystem(t, { label: 'console_api' })
const [SAFE, PLAIN, NO_SECRET] = APPS.map((a) => a.appid) as [string, string, string]

t.test('without a session nothing is served', async (t) => {
  const anon = new Agent()
  for (const path of ['/api/me', '/api/conversations', `/api/conversations/${SAFE}/o_x`, '/api/events', `/api/media/${SAFE}/m1`]) {
    const res = await anon.api(sys, 'GET', path)
    t.equal(res.status, 401, path)
    t.equal(res.json().code, 'KEFU_SSO_LOGIN_REQUIRED')
  }
  t.equal((await anon.api(sys, 'POST', `/api/conversations/${SAFE}/o_x/messages`, { type: 'text', text: 'hi' })).status, 401)
})

t.test('an agent sees the conversations of their mini programs, newest first, with unread counts and windows', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  const me = (await alice.api(sys, 'GET', '/api/me')).json()
  t.same(me, {
    username: 'alice',
    apps: APPS.map((a) => ({ appId: a.appid, name: null, canReply: a.secret !== undefined, profileLookup: false, autoAssign: 'off', maxOpenPerAgent: 10 })),
    role: 'agent',
    owner: false,
    availability: 'offline',
    notifications: { desktop: true, sound: false }
  })

  await sys.push(SAFE, 'user_enter_tempsession', { from: 'o_list_1', content: 'card-42' })
  await sys.push(SAFE, 'text', { from: 'o_list_1', content: '你好，订单到哪了？' })
  await sys.push(PLAIN, 'image', { from: 'o_list_2' })
  const list = (await alice.api(sys, 'GET', '/api/conversations')).json()
  const mine = list.conversations.filter((c: { openid: string }) => c.openid.startsWith('o_list_'))
  t.same(mine.map((c: { openid: string }) => c.openid), ['o_list_2', 'o_list_1'], 'newest activity first')
  t.equal(mine[1].unreadCount, 1, 'the enter event is not unread')
  t.equal(mine[1].last.text, '你好，订单到哪了？')
  t.match(mine[1].window, { open: true, remaining: 5, reason: 'message' })

  const conv = (await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_list_1`)).json()
  t.same(conv.messages.map((m: { type: string, event?: string, sessionFrom?: string, text?: string }) => [m.type, m.event ?? m.text]), [['event', 'user_enter_tempsession'], ['text', '你好，订单到哪了？']])
  t.equal(conv.messages[0].sessionFrom, 'card-42')
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_list_1/read`)).status, 204)
  const after = (await alice.api(sys, 'GET', `/api/conversations?appid=${SAFE}`)).json()
  t.equal(after.conversations.find((c: { openid: string }) => c.openid === 'o_list_1').unreadCount, 0)
})

t.test('no data leaks to an agent not assigned to the mini program', async (t) => {
  const mallory = new Agent()
  await mallory.signIn(sys, 'mallory')
  t.same((await mallory.api(sys, 'GET', '/api/me')).json().apps, [])
  t.same((await mallory.api(sys, 'GET', '/api/conversations')).json().conversations, [])
  t.same((await mallory.api(sys, 'GET', `/api/conversations?appid=${SAFE}`)).json().conversations, [])
  for (const [method, path, body] of [
    ['GET', `/api/conversations/${SAFE}/o_list_1`],
    ['POST', `/api/conversations/${SAFE}/o_list_1/messages`, { type: 'text', text: 'leak?' }],
    ['POST', `/api/conversations/${SAFE}/o_list_1/read`],
    ['POST', `/api/conversations/${SAFE}/o_list_1/typing`, { typing: true }],
    ['GET', `/api/media/${SAFE}/media_demo_1`]
  ] as Array<[string, string, unknown?]>) {
    const res = await mallory.api(sys, method, path, body)
    t.equal(res.status, 404, `${method} ${path}`)
    t.notMatch(res.text, /o_list_1|订单/)
  }
  t.equal(sys.fake.messages().filter((m) => JSON.stringify(m).includes('leak?')).length, 0, 'nothing was sent')
})

t.test('a reply reaches WeChat as the exact JSON, with a valid token, and shows as sent', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  await sys.push(SAFE, 'text', { from: 'o_reply' })
  sys.fake.clearRequests()
  const res = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_reply/messages`, { type: 'text', text: '您好，已经发货了 🚚' })
  t.equal(res.status, 201)
  t.match(res.json().message, { direction: 'out', type: 'text', text: '您好，已经发货了 🚚', status: 'sent', agent: 'alice' })
  const sent = sys.fake.requests.filter((r) => r.api === 'custom/send')
  t.equal(sent.length, 1)
  t.same(sent[0]!.body, { touser: 'o_reply', msgtype: 'text', text: { content: '您好，已经发货了 🚚' } })
  t.equal(sent[0]!.token, 'valid')
  t.equal(sent[0]!.appid, SAFE)

  const thumb = sys.fake.addMedia(SAFE, Buffer.from('thumb'), 'image/jpeg', 'thumb.jpg')
  for (const [body, wechat] of [
    [{ type: 'link', title: 'T', description: 'D', url: 'https://kefu.example/a', thumbUrl: 'https://kefu.example/t.png' }, { msgtype: 'link', link: { title: 'T', description: 'D', url: 'https://kefu.example/a', thumb_url: 'https://kefu.example/t.png' } }],
    [{ type: 'miniprogrampage', title: 'Card', pagePath: 'pages/index/index?id=1', thumbMediaId: thumb }, { msgtype: 'miniprogrampage', miniprogrampage: { title: 'Card', pagepath: 'pages/index/index?id=1', thumb_media_id: thumb } }]
  ] as const) {
    const r = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_reply/messages`, body)
    t.equal(r.status, 201, body.type)
    t.same(sys.fake.messages(SAFE).at(-1), { touser: 'o_reply', ...wechat })
  }
  const timeline = (await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_reply`)).json().messages
  t.same(timeline.map((m: { direction: string, type: string, status?: string }) => [m.direction, m.type, m.status ?? null]), [['in', 'text', null], ['out', 'text', 'sent'], ['out', 'link', 'sent'], ['out', 'miniprogrampage', 'sent']])
  t.notMatch(JSON.stringify(timeline), new RegExp(sys.fake.currentToken(SAFE)!), 'the access token appears nowhere')
})

t.test('WeChat refusing a reply (45015) shows as a clear failure', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  await sys.push(SAFE, 'text', { from: 'o_refused' })
  sys.fake.failNext('custom/send', 45015)
  const res = await alice.request(sys.console, 'POST', `/api/conversations/${SAFE}/o_refused/messages`, { headers: { 'content-type': 'application/json', origin: sys.console.url, 'accept-language': 'en' }, body: JSON.stringify({ type: 'text', text: 'late' }) })
  t.equal(res.status, 201)
  const message = res.json().message
  t.equal(message.status, 'failed')
  t.equal(message.errcode, 45015)
  t.match(message.errmsg, /48 hours|window/i)
  const row = await sys.prisma.outboundMessage.findFirstOrThrow({ where: { openid: 'o_refused' } })
  t.equal(row.status, 'failed')
  t.equal(row.errcode, 45015)
})

t.test('a failed reply is sent again by POST …/messages/:id/retry, as a new attempt, once', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  await sys.push(SAFE, 'text', { from: 'o_retry' })
  sys.fake.failNext('custom/send', 45015)
  const failed = (await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_retry/messages`, { type: 'text', text: '再试一次' })).json().message
  t.equal(failed.status, 'failed')
  const path = `/api/conversations/${SAFE}/o_retry/messages/${failed.key}/retry`
  const again = await alice.api(sys, 'POST', path)
  t.equal(again.status, 201)
  const message = again.json().message
  t.match(message, { status: 'sent', type: 'text', text: '再试一次', agent: 'alice' })
  t.not(message.key, failed.key, 'a new attempt')
  const rows = await sys.prisma.outboundMessage.findMany({ where: { openid: 'o_retry' }, orderBy: { id: 'asc' } })
  t.same(rows.map((r) => r.status), ['failed', 'sent'], 'the failed attempt is kept as it was')

  const twice = await alice.api(sys, 'POST', path)
  t.equal(twice.status, 409)
  t.equal(twice.json().code, 'KEFU_CONSOLE_ALREADY_RETRIED')
  const sent = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_retry/messages/${message.key}/retry`)
  t.equal(sent.status, 409)
  t.equal(sent.json().message, 'only a failed reply can be sent again; this one is sent')
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_other/messages/${failed.key}/retry`)).status, 404, 'another conversation’s reply')
  const bad = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_retry/messages/nope/retry`)
  t.equal(bad.status, 400)
  t.equal(await sys.prisma.outboundMessage.count({ where: { openid: 'o_retry' } }), 2, 'nothing more stored')
})

t.test('reply windows are checked before calling WeChat', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  const old = Math.floor(Date.now() / 1000) - 49 * 3600
  await sys.push(SAFE, 'text', { from: 'o_old_user', createTime: old })
  sys.fake.clearRequests()
  const closed = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_old_user/messages`, { type: 'text', text: 'too late' })
  t.equal(closed.status, 409)
  t.equal(closed.json().code, 'KEFU_CONSOLE_REPLY_WINDOW_CLOSED')

  await sys.push(SAFE, 'user_enter_tempsession', { from: 'o_old_user' })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_old_user/messages`, { type: 'text', text: `reply ${i}` })).status)
  t.same(statuses, [201, 201, 409], 'two replies within a minute of entering, then the quota is used')

  await sys.push(SAFE, 'text', { from: 'o_five' })
  const five = []
  for (let i = 0; i < 6; i++) five.push((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_five/messages`, { type: 'text', text: `r${i}` })).status)
  t.same(five, [201, 201, 201, 201, 201, 409], 'five replies after a message')
  t.equal(sys.fake.requests.filter((r) => r.api === 'custom/send').length, 7, 'WeChat was only called for allowed replies')

  const noSecret = await alice.api(sys, 'POST', `/api/conversations/${NO_SECRET}/o_any/messages`, { type: 'text', text: 'x' })
  t.equal(noSecret.status, 409)
  t.equal(noSecret.json().code, 'KEFU_CONSOLE_NO_SECRET')
})

t.test('bad replies are refused with one readable line', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  await sys.push(SAFE, 'text', { from: 'o_bad_user' })
  for (const body of [{}, { type: 'text' }, { type: 'text', text: '' }, { type: 'text', text: 'x'.repeat(2001) }, { type: 'voice', mediaId: 'm' }, { type: 'link', title: 't', description: 'd', url: 'javascript:alert(1)', thumbUrl: 'https://x' }]) {
    const res = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_bad_user/messages`, body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.notMatch(res.json().message, /\n/)
  }
  t.equal((await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_nobody`)).status, 404)
  t.equal((await alice.api(sys, 'GET', '/api/conversations/not-an-appid/o_bad_user')).status, 400)
  t.equal(await sys.prisma.outboundMessage.count({ where: { openid: 'o_bad_user' } }), 0)
})

t.test('typing state goes to WeChat; images upload as temporary media and come back through our server', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  await sys.push(SAFE, 'text', { from: 'o_media' })
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_media/typing`, { typing: true })).status, 204)
  t.same(sys.fake.requests.filter((r) => r.api === 'typing').at(-1)?.body, { touser: 'o_media', command: 'Typing' })
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_media/typing`, { typing: false })).status, 204)
  t.same(sys.fake.requests.filter((r) => r.api === 'typing').at(-1)?.body, { touser: 'o_media', command: 'CancelTyping' })

  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
  const form = new FormData()
  form.append('media', new Blob([png], { type: 'image/png' }), 'dot.png')
  const up = await alice.request(sys.console, 'POST', `/api/apps/${SAFE}/images`, { headers: { origin: sys.console.url }, body: form })
  t.equal(up.status, 200, up.text)
  const mediaId = up.json().mediaId
  t.ok(sys.fake.media(mediaId))
  const sent = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_media/messages`, { type: 'image', mediaId })
  t.equal(sent.json().message.status, 'sent')
  const got = await alice.request(sys.console, 'GET', `/api/media/${SAFE}/${mediaId}`)
  t.equal(got.status, 200)
  t.equal(got.headers.get('content-type'), 'image/png')
  sys.fake.clearRequests()
  await alice.request(sys.console, 'GET', `/api/media/${SAFE}/${mediaId}`)
  t.equal(sys.fake.requests.filter((r) => r.api === 'media/get').length, 0, 'served from the cache the second time')
  const text = new FormData()
  text.append('media', new Blob(['hello'], { type: 'text/plain' }), 'x.txt')
  t.equal((await alice.request(sys.console, 'POST', `/api/apps/${SAFE}/images`, { headers: { origin: sys.console.url }, body: text })).status, 400)
})
