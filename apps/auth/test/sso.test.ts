// A's side of sync login: the ticket endpoint (CORS), authorize (redirect check), redemption, the live check,
// and the back-channel logout, with the hostile cases refused and logged.
import t from 'tap'
import Fastify from 'fastify'
import { basicAuthorization, SIGNATURE_HEADER, verifyLogoutMessage, type LogoutMessage } from '@kefu/sso-client'
import { B1, B2, Browser, FakeClock, ORIGIN, addAccount, build, fileDatabase } from './helper.js'

// A stand-in B that records the back-channel calls A makes to it.
const received: Array<{ client: string, body: string, signature: string | undefined }> = []
const fakeB = Fastify()
fakeB.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
fakeB.post<{ Params: { client: string }, Body: string }>('/:client/sso/logout', async (request, reply) => {
  received.push({ client: request.params.client, body: request.body, signature: request.headers[SIGNATURE_HEADER] as string | undefined })
  return reply.code(204).send()
})
const fakeUrl = await fakeB.listen({ port: 0, host: '127.0.0.1' })
t.teardown(() => fakeB.close())

const db = await fileDatabase(t, 'auth_sso')
const clock = new FakeClock()
const { app, refusals } = await build(t, db, {
  now: clock.read,
  clients: [{ ...B1, logoutUri: `${fakeUrl}/b1/sso/logout` }, { ...B2, logoutUri: `${fakeUrl}/b2/sso/logout` }]
})
await addAccount(app, 'alice', 'alice-password')
const aliceId = (await app.prisma.account.findUniqueOrThrow({ where: { username: 'alice' } })).id.toString()

const FROM_B1 = { origin: 'http://b1.kefu.test', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' }
const STATE = 'S'.repeat(22)

async function loggedIn (): Promise<Browser> {
  const b = new Browser(app)
  const res = await b.login('alice', 'alice-password')
  if (res.statusCode !== 200) throw new Error('login failed')
  return b
}

/** Signed in at A and at b1 (a ticket redeemed): the browser, the A login (sid) and its account (sub). */
async function signedInAtB1 (): Promise<{ b: Browser, sid: string, sub: string }> {
  const b = await loggedIn()
  const { sid, sub } = (await redeem(await ticketFor(b))).json()
  return { b, sid, sub }
}

async function ticketFor (b: Browser, clientId = 'b1', headers: Record<string, string> = FROM_B1): Promise<string> {
  const res = await b.request('POST', `/sso/ticket?client_id=${clientId}`, { headers })
  const body = res.json()
  if (body.status !== 'ticket') throw new Error('no ticket: ' + res.body)
  return body.ticket as string
}

function redeem (ticket: string, clientId = 'b1', secret = B1.clientSecret) {
  return app.inject({
    method: 'POST',
    url: '/sso/redeem',
    headers: { authorization: basicAuthorization(clientId, secret), 'content-type': 'application/json' },
    payload: { ticket }
  })
}

function check (sub: string, sid: string, clientId = 'b1', secret = B1.clientSecret, extra: Record<string, unknown> = {}) {
  return app.inject({
    method: 'POST',
    url: '/sso/check',
    headers: { authorization: basicAuthorization(clientId, secret), 'content-type': 'application/json' },
    payload: { sub, sid, ...extra }
  })
}

t.test('same-site path: a registered origin gets a one-time ticket with credentials-CORS headers', async (t) => {
  const b = await loggedIn()
  const res = await b.request('POST', '/sso/ticket?client_id=b1', { headers: FROM_B1 })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['access-control-allow-origin'], 'http://b1.kefu.test', 'the exact origin, never *')
  t.equal(res.headers['access-control-allow-credentials'], 'true')
  t.match(res.headers.vary, /Origin/)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  t.equal(body.status, 'ticket')
  t.match(body.ticket, /^[A-Za-z0-9_-]{43}$/)
  const redeemed = await redeem(body.ticket)
  t.equal(redeemed.statusCode, 200)
  t.same(Object.keys(redeemed.json()).sort(), ['sid', 'sub', 'username'])
  t.equal(redeemed.json().username, 'alice')
  t.equal(redeemed.json().sub, aliceId)
})

t.test('anonymous same-site request: "anonymous"; a cross-site or silent browser: "redirect"', async (t) => {
  const anon = new Browser(app)
  t.same((await anon.request('POST', '/sso/ticket?client_id=b1', { headers: FROM_B1 })).json(), { status: 'anonymous' })
  const b = await loggedIn()
  const cross = await b.request('POST', '/sso/ticket?client_id=b2', { headers: { origin: 'http://b2.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } })
  t.same(cross.json(), { status: 'redirect' }, 'cross-site: no ticket even if a cookie came along')
  t.equal(cross.headers['access-control-allow-origin'], 'http://b2.example')
  // Plain HTTP: browsers send no Sec-Fetch-Site. Then only A's presence cookie tells "no session" from "blocked".
  const fresh = new Browser(app)
  const first = await fresh.request('POST', '/sso/ticket?client_id=b1', { headers: { origin: 'http://b1.kefu.test' } })
  t.same(first.json(), { status: 'redirect' }, 'no cookie at all may mean "blocked": check at the top level')
  t.ok(fresh.jar.has('kefu_auth_seen'), 'the presence cookie is set on the way')
  const second = await fresh.request('POST', '/sso/ticket?client_id=b1', { headers: { origin: 'http://b1.kefu.test' } })
  t.same(second.json(), { status: 'anonymous' }, 'once A sees its cookies arrive, no session means nobody is logged in')
  const seenCookie = first.cookies.find((c) => c.name === 'kefu_auth_seen')
  t.equal(seenCookie?.maxAge, 365 * 24 * 3600)
  t.equal(seenCookie?.sameSite, 'Lax')
  t.equal((await b.request('POST', '/sso/ticket?client_id=b2', { headers: { origin: 'http://www.b2.example', 'sec-fetch-site': 'same-site' } })).json().status, 'ticket', 'any registered origin of the client')
})

t.test('hostile: unregistered, look-alike or missing Origin at the token endpoint (JSONP-style theft)', async (t) => {
  const b = await loggedIn()
  const before = refusals('KEFU_AUTH_ORIGIN_NOT_REGISTERED').length
  const origins = ['http://evil.example', 'http://b1.kefu.test.evil.example', 'http://b1.kefu.test:8080', 'https://b1.kefu.test', 'http://B1.kefu.test', 'null', 'http://b2.example']
  for (const origin of origins) {
    const res = await b.request('POST', '/sso/ticket?client_id=b1', { headers: { ...FROM_B1, origin } })
    t.equal(res.statusCode, 403, origin)
    t.equal(res.headers['access-control-allow-origin'], undefined, `no CORS grant for ${origin}`)
    t.notMatch(res.body, /ticket"/)
  }
  const scriptTag = await b.request('POST', '/sso/ticket?client_id=b1', { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } })
  t.equal(scriptTag.statusCode, 403, 'no Origin (a <script>, <img> or navigation) gets nothing')
  const navigation = await b.request('POST', '/sso/ticket?client_id=b1', { headers: { ...FROM_B1, 'sec-fetch-mode': 'navigate' } })
  t.equal(navigation.statusCode, 403, 'a form navigation from the registered origin is not the page script')
  const get = await b.request('GET', '/sso/ticket?client_id=b1', { headers: FROM_B1 })
  t.equal(get.statusCode, 404, 'no GET (JSONP) variant exists')
  t.equal(refusals('KEFU_AUTH_ORIGIN_NOT_REGISTERED').length, before + origins.length + 2)
  const unknown = await b.request('POST', '/sso/ticket?client_id=nope', { headers: FROM_B1 })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'KEFU_AUTH_UNKNOWN_CLIENT')
  const preflight = await b.request('GET', '/sso/ticket?client_id=b1', { headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } })
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
})

t.test('hostile: a replayed ticket is refused (burned at the first redemption)', async (t) => {
  const ticket = await ticketFor(await loggedIn())
  t.equal((await redeem(ticket)).statusCode, 200)
  const before = refusals('KEFU_AUTH_INVALID_TICKET').length
  const replay = await redeem(ticket)
  t.equal(replay.statusCode, 400)
  t.equal(replay.json().code, 'KEFU_AUTH_INVALID_TICKET')
  t.equal(refusals('KEFU_AUTH_INVALID_TICKET').length, before + 1)
})

t.test('hostile: an expired ticket is refused; one just inside its 30 s is accepted', async (t) => {
  const b = await loggedIn()
  const fresh = await ticketFor(b)
  clock.advance(29_999)
  t.equal((await redeem(fresh)).statusCode, 200, '1 ms before the limit')
  const ticket = await ticketFor(b)
  clock.advance(30_000)
  const res = await redeem(ticket)
  t.equal(res.statusCode, 400)
  t.match(refusals('KEFU_AUTH_INVALID_TICKET').at(-1), { reason: 'expired ticket' })
  t.equal((await redeem(ticket)).statusCode, 400, 'and it is gone')
})

t.test('hostile: a ticket issued for another client is refused, and burned', async (t) => {
  const ticket = await ticketFor(await loggedIn(), 'b2', { origin: 'http://b2.example', 'sec-fetch-site': 'same-site' })
  const stolen = await redeem(ticket, 'b1', B1.clientSecret)
  t.equal(stolen.statusCode, 400)
  t.match(refusals('KEFU_AUTH_INVALID_TICKET').at(-1), { reason: 'ticket was issued to b2', clientId: 'b1' })
  t.equal((await redeem(ticket, 'b2', B2.clientSecret)).statusCode, 400, 'the rightful client cannot use it after the attempt either')
})

t.test('hostile: wrong client secret or unknown client: 401, and the ticket is burned', async (t) => {
  const ticket = await ticketFor(await loggedIn())
  const before = refusals('KEFU_AUTH_CLIENT_AUTH').length
  const wrong = await redeem(ticket, 'b1', B2.clientSecret)
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'KEFU_AUTH_CLIENT_AUTH')
  t.match(wrong.headers['www-authenticate'], /^Basic/)
  t.equal((await redeem(ticket)).statusCode, 400, 'the right secret afterwards finds the ticket burned')
  t.equal((await redeem(await ticketFor(await loggedIn()), 'ghost', B1.clientSecret)).statusCode, 401)
  const none = await app.inject({ method: 'POST', url: '/sso/redeem', payload: { ticket: 'x'.repeat(43) } })
  t.equal(none.statusCode, 401)
  t.equal(refusals('KEFU_AUTH_CLIENT_AUTH').length, before + 3)
  t.equal((await check(aliceId, 'x'.repeat(22), 'b1', 'wrong-wrong-wrong-wrong-wrong-wrong-wrong')).statusCode, 401, '/sso/check needs the secret too')
})

t.test('a ticket whose A login ended before redemption is refused', async (t) => {
  const b = await loggedIn()
  const ticket = await ticketFor(b)
  await b.postJson('/logout', {})
  t.equal((await redeem(ticket)).statusCode, 400)
  t.match(refusals('KEFU_AUTH_INVALID_TICKET').at(-1), { reason: 'the A login behind the ticket has ended' })
})

t.test('cross-site path: authorize with the exact redirect_uri returns a ticket or login_required, never loops', async (t) => {
  const b = await loggedIn()
  const q = (params: Record<string, string>) => '/sso/authorize?' + new URLSearchParams(params).toString()
  const res = await b.get(q({ client_id: 'b2', redirect_uri: 'http://b2.example/sso/callback', state: STATE, prompt: 'none' }))
  t.equal(res.statusCode, 303)
  t.equal(res.headers['referrer-policy'], 'no-referrer')
  const back = new URL(res.headers.location as string)
  t.equal(back.origin + back.pathname, 'http://b2.example/sso/callback')
  t.equal(back.searchParams.get('state'), STATE)
  const ticket = back.searchParams.get('ticket')!
  t.equal((await redeem(ticket, 'b2', B2.clientSecret)).statusCode, 200)

  const anon = new Browser(app)
  const silent = await anon.get(q({ client_id: 'b2', redirect_uri: 'http://b2.example/sso/callback', state: STATE, prompt: 'none' }))
  t.equal(silent.statusCode, 303)
  t.equal(silent.headers.location, `http://b2.example/sso/callback?error=login_required&state=${STATE}`)
  const interactive = await anon.get(q({ client_id: 'b2', redirect_uri: 'http://b2.example/sso/callback', state: STATE }))
  t.equal(interactive.statusCode, 303)
  const loginUrl = interactive.headers.location as string
  t.match(loginUrl, /^\/login\?return_to=%2Fsso%2Fauthorize%3F/)
  // The person logs in on A's form and is sent on through authorize, back to B with a ticket.
  const token = await anon.csrfToken(loginUrl)
  const form = await anon.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token, return_to: new URL(loginUrl, ORIGIN).searchParams.get('return_to')! })
  t.equal(form.statusCode, 303)
  const again = await anon.get(form.headers.location as string)
  t.match(again.headers.location, /^http:\/\/b2\.example\/sso\/callback\?ticket=[A-Za-z0-9_-]{43}&state=S{22}$/)
  const page = await anon.get(loginUrl)
  t.equal(page.statusCode, 303, 'a logged-in user is not shown the form again')
})

t.test('hostile: unregistered or look-alike redirect_uri, unknown client, missing state: a 400 page, no redirect', async (t) => {
  const b = await loggedIn()
  const lookAlikes = [
    'http://b2.example/sso/callback/',
    'http://b2.example/sso/callback?x=1',
    'http://b2.example/sso/callback#x',
    'http://b2.example/sso/callbackx',
    'http://b2.example/sso/Callback',
    'http://b2.example:80/sso/callback/..',
    'http://b2.example.evil.example/sso/callback',
    'http://evil.example/sso/callback',
    'https://b2.example/sso/callback',
    'http://b2.example@evil.example/sso/callback',
    'http://www.b2.example/sso/callback',
    'http://b1.kefu.test/sso/callback',
    '/sso/callback'
  ]
  const before = refusals('KEFU_AUTH_BAD_REDIRECT_URI').length
  for (const uri of lookAlikes) {
    const res = await b.get('/sso/authorize?' + new URLSearchParams({ client_id: 'b2', redirect_uri: uri, state: STATE, prompt: 'none' }).toString())
    t.equal(res.statusCode, 400, uri)
    t.equal(res.headers.location, undefined)
    t.notMatch(res.body, /ticket=/)
  }
  t.equal(refusals('KEFU_AUTH_BAD_REDIRECT_URI').length, before + lookAlikes.length)
  const noUri = await b.get('/sso/authorize?client_id=b2&state=' + STATE)
  t.equal(noUri.statusCode, 400)
  const unknown = await b.get('/sso/authorize?client_id=evil&redirect_uri=http%3A%2F%2Fevil.example%2F&state=' + STATE)
  t.equal(unknown.statusCode, 400)
  t.equal(refusals('KEFU_AUTH_UNKNOWN_CLIENT').length > 0, true)
  for (const state of [undefined, 'short', 'bad state with spaces!!!!!']) {
    const params: Record<string, string> = { client_id: 'b2', redirect_uri: 'http://b2.example/sso/callback' }
    if (state !== undefined) params.state = state
    const res = await b.get('/sso/authorize?' + new URLSearchParams(params).toString())
    t.equal(res.statusCode, 400, `state ${String(state)}`)
  }
  t.ok(refusals('KEFU_AUTH_BAD_STATE').length >= 3)
  const en = await b.get('/sso/authorize?client_id=b2&redirect_uri=x&state=' + STATE, { 'accept-language': 'en' })
  t.match(en.body, /The return address is not registered/)
})

t.test('/sso/check: live while the A login lasts, not after', async (t) => {
  const { b, sid, sub } = await signedInAtB1()
  const idleMs = 1_800_000
  t.same((await check(sub, sid)).json(), { active: true, expiresAt: clock.now + idleMs, capAt: clock.now + 43_200_000, idleMs, now: clock.now })
  t.same((await check(sub, 'Z'.repeat(22))).json(), { active: false })
  t.same((await check('999999', sid)).json(), { active: false }, 'the sid belongs to its account only')
  await b.postJson('/logout', {})
  t.same((await check(sub, sid)).json(), { active: false })
  t.equal((await check(sub, 'bad sid!')).statusCode, 400)
})

t.test('/sso/check with activeAt: activity on B keeps the A login alive; a check alone does not', async (t) => {
  const idleMs = 1_800_000
  const { b, sid, sub } = await signedInAtB1()
  const signedIn = clock.now
  clock.advance(idleMs - 1000)
  t.equal((await check(sub, sid)).json().expiresAt, signedIn + idleMs, 'a check without activity moves nothing')
  const worked = clock.now - 500
  t.equal((await check(sub, sid, 'b1', B1.clientSecret, { activeAt: worked })).json().expiresAt, worked + idleMs, 'moved to the reported activity')
  t.equal((await check(sub, sid, 'b1', B1.clientSecret, { activeAt: worked - 10_000 })).json().expiresAt, worked + idleMs, 'never backward')
  clock.now = signedIn + idleMs + 5000
  t.equal((await b.get('/me')).statusCode, 200, 'past the idle limit counted from the sign-in, A is still signed in: the person worked on B')
  clock.now += idleMs
  t.same((await check(sub, sid, 'b1', B1.clientSecret, { activeAt: clock.now })).json(), { active: false }, 'idle everywhere for the limit: ended, and a late report does not revive it')
  t.equal((await b.get('/me')).statusCode, 401)
})

t.test('/sso/check with activeAt at the limits: limit − 1 ms live, the limit ends it; the absolute cap wins over activity', async (t) => {
  const idleMs = 1_800_000
  const absoluteMs = 43_200_000
  const { b, sid, sub } = await signedInAtB1()
  const signedIn = clock.now
  clock.advance(idleMs - 1)
  t.equal((await check(sub, sid)).json().active, true, 'idle − 1 ms: live')
  while (clock.now + idleMs - 1 < signedIn + absoluteMs) {
    t.equal((await check(sub, sid, 'b1', B1.clientSecret, { activeAt: clock.now })).json().active, true)
    clock.advance(idleMs - 1)
  }
  t.equal((await check(sub, sid, 'b1', B1.clientSecret, { activeAt: clock.now })).json().active, true)
  clock.now = signedIn + absoluteMs - 1
  t.same((await check(sub, sid, 'b1', B1.clientSecret, { activeAt: clock.now })).json().expiresAt, signedIn + absoluteMs, 'absolute − 1 ms: live until the cap')
  clock.now = signedIn + absoluteMs
  t.same((await check(sub, sid, 'b1', B1.clientSecret, { activeAt: clock.now })).json(), { active: false }, 'the absolute cap ends it while the person works')
  t.equal((await b.get('/me')).statusCode, 401)
})

t.test('/sso/check answers only a B site the login signed in to: activity another client reports is refused and moves nothing', async (t) => {
  const idleMs = 1_800_000
  const { b, sid, sub } = await signedInAtB1()
  const signedIn = clock.now
  clock.advance(idleMs - 1000)
  const before = refusals('KEFU_AUTH_NOT_SIGNED_IN_THERE').length
  t.same((await check(sub, sid, 'b2', B2.clientSecret, { activeAt: clock.now })).json(), { active: false }, 'b2, where this login never signed in, reports activity: refused')
  t.same((await check(sub, sid, 'b2', B2.clientSecret)).json(), { active: false }, 'nor does b2 learn whether the login is live')
  t.equal(refusals('KEFU_AUTH_NOT_SIGNED_IN_THERE').length, before + 2, 'each refusal logged')
  t.equal((await check(sub, sid)).json().expiresAt, signedIn + idleMs, "A's last-seen is unchanged")
  clock.advance(1000)
  t.equal((await b.get('/me')).statusCode, 401, 'the login ended at its own idle limit')

  const c = await loggedIn()
  const both = (await redeem(await ticketFor(c))).json()
  await redeem(await ticketFor(c, 'b2', { origin: 'http://b2.example', 'sec-fetch-site': 'same-site' }), 'b2', B2.clientSecret)
  clock.advance(1000)
  t.equal((await check(both.sub, both.sid, 'b2', B2.clientSecret, { activeAt: clock.now })).json().expiresAt, clock.now + idleMs, 'once the login signed in at b2, its activity there counts')
})

t.test('/sso/check refuses malformed activity', async (t) => {
  const { b, sid, sub } = await signedInAtB1()
  for (const activeAt of [-1, 1.5, 'soon', 9e18]) {
    const res = await check(sub, sid, 'b1', B1.clientSecret, { activeAt })
    t.equal(res.statusCode, 400, `activeAt ${JSON.stringify(activeAt)}`)
  }
})

t.test('logout sends a signed back-channel call to each client that holds a session from that login', async (t) => {
  received.length = 0
  const b = await loggedIn()
  const r1 = (await redeem(await ticketFor(b))).json()
  const r2 = (await redeem(await ticketFor(b, 'b2', { origin: 'http://b2.example', 'sec-fetch-site': 'same-site' }), 'b2', B2.clientSecret)).json()
  t.equal(r1.sid, r2.sid)
  const other = await loggedIn()
  await redeem(await ticketFor(other))
  t.equal((await b.postJson('/logout', {})).statusCode, 204)
  t.equal(received.length, 2, 'b1 and b2 were called (once each), before logout answered')
  for (const call of received) {
    const clientSecret = call.client === 'b1' ? B1.clientSecret : B2.clientSecret
    const verdict = verifyLogoutMessage(call.body, call.signature, { secret: clientSecret, issuer: ORIGIN, audience: call.client, now: clock.now, maxAgeMs: 30_000 })
    t.ok(verdict.ok, `${call.client}: signature, issuer, audience and age verify`)
    const m = JSON.parse(call.body) as LogoutMessage
    t.same(m.sids, [r1.sid], 'only the login that ended')
    t.equal(m.sub, aliceId)
    t.notOk(verifyLogoutMessage(call.body, call.signature, { secret: clientSecret, issuer: ORIGIN, audience: call.client === 'b1' ? 'b2' : 'b1', now: clock.now, maxAgeMs: 30_000 }).ok, 'a message for one client is refused by another')
  }
})

t.test('log out everywhere tells each client about every login of the user', async (t) => {
  received.length = 0
  await addAccount(app, 'erin', 'erin-password')
  const laptop = new Browser(app)
  const phone = new Browser(app)
  await laptop.login('erin', 'erin-password')
  await phone.login('erin', 'erin-password')
  const s1 = (await redeem(await ticketFor(laptop))).json().sid
  const s2 = (await redeem(await ticketFor(phone))).json().sid
  t.equal((await laptop.postJson('/logout', { everywhere: true })).statusCode, 204)
  t.equal(received.length, 1)
  t.same((JSON.parse(received[0]!.body) as LogoutMessage).sids.sort(), [s1, s2].sort())
  t.equal((await phone.get('/me')).statusCode, 401)
})

t.test('a client that is down does not block logout for long; the failure is logged', async (t) => {
  const { app: lonely, logs } = await build(t, db, {
    clients: [{ ...B1, logoutUri: 'http://127.0.0.1:9/sso/logout' }],
    backChannelTimeoutMs: 500
  })
  const b = new Browser(lonely)
  await b.login('alice', 'alice-password')
  await redeemOn(lonely, await ticketOn(b))
  const started = Date.now()
  t.equal((await b.postJson('/logout', {})).statusCode, 204)
  t.ok(Date.now() - started < 2000, 'bounded by the timeout')
  t.ok(logs.some((l) => l.msg.startsWith('back-channel logout not delivered') && l.clientId === 'b1'))
})

async function ticketOn (b: Browser): Promise<string> {
  return (await b.request('POST', '/sso/ticket?client_id=b1', { headers: FROM_B1 })).json().ticket
}
async function redeemOn (instance: typeof app, ticket: string): Promise<void> {
  const res = await instance.inject({ method: 'POST', url: '/sso/redeem', headers: { authorization: basicAuthorization('b1', B1.clientSecret) }, payload: { ticket } })
  if (res.statusCode !== 200) throw new Error(res.body)
}
