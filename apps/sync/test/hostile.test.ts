// The B side against a real A over HTTP: each hostile request is refused and logged; the honest flows around
// them work. (A's own hostile cases are in apps/auth/test.)
import t from 'tap'
import { signLogoutMessage } from '@kefu/sso-client'
import { HttpClient, startSystem } from './helper.js'

const sys = await startSystem(t, { label: 'sync_hostile', aHost: 'a.kefu.test', bHosts: ['b1.kefu.test', 'b2.kefu.test', 'b3.kefu.test'], noBackChannel: ['b3'] })
const { a, bs: [b1, b2, b3] } = sys as typeof sys & { bs: [typeof sys.bs[0], typeof sys.bs[0], typeof sys.bs[0]] }

async function signedIn (b = b1): Promise<HttpClient> {
  const c = new HttpClient()
  await c.loginAtA(a)
  const res = await c.postTicketToB(b, await c.ticketFromA(a, b), await c.csrfFromB(b))
  if (res.status !== 200) throw new Error(res.text)
  return c
}

t.test('the same-site path end to end over HTTP: ticket from A, posted to B, B session, /me', async (t) => {
  const c = new HttpClient()
  t.equal((await c.request(b1, 'GET', '/me')).status, 401)
  await c.loginAtA(a)
  const ticket = await c.ticketFromA(a, b1)
  const csrf = await c.csrfFromB(b1)
  const res = await c.postTicketToB(b1, ticket, csrf)
  t.equal(res.status, 200)
  t.same(res.json(), { username: 'alice' })
  t.same((await c.request(b1, 'GET', '/me')).json(), { username: 'alice' })
  const page = await c.request(b1, 'GET', '/')
  t.match(page.text, /<strong id="username">alice<\/strong>/)
  t.match(page.headers.get('content-security-policy'), new RegExp(`connect-src 'self' ${a.url.replace(/[.]/g, '\\.')}`))
})

t.test('hostile: CSRF post to B\'s ticket endpoint (foreign Origin, no token, another browser\'s token, cross-site)', async (t) => {
  const victim = new HttpClient()
  const csrf = await victim.csrfFromB(b1)
  const attacker = new HttpClient()
  await attacker.loginAtA(a)
  const before = { guard: b1.refusals('KEFU_SYNC_CROSS_SITE').length, route: b1.refusals('KEFU_SSO_CSRF').length }
  // The site's same-origin guard refuses what another page sends before anything is read; the route itself then
  // wants its own page's Origin and the signed token, which no other page can send.
  const attempts: Array<[string, Record<string, string>, string, 'KEFU_SYNC_CROSS_SITE' | 'KEFU_SSO_CSRF']> = [
    ['foreign Origin', { origin: 'http://evil.example' }, csrf, 'KEFU_SYNC_CROSS_SITE'],
    ['cross-site form post (text/plain, no preflight)', { origin: 'http://evil.example', 'content-type': 'text/plain', 'x-kefu-csrf': '' }, csrf, 'KEFU_SYNC_CROSS_SITE'],
    ['sibling site Origin', { origin: b2.url, 'sec-fetch-site': 'same-site' }, csrf, 'KEFU_SYNC_CROSS_SITE'],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, csrf, 'KEFU_SYNC_CROSS_SITE'],
    ['no Origin', { origin: '' }, csrf, 'KEFU_SSO_CSRF'],
    ['no token', { 'x-kefu-csrf': '' }, csrf, 'KEFU_SSO_CSRF'],
    ['forged token', {}, 'A'.repeat(43), 'KEFU_SSO_CSRF'],
    ["another browser's token", {}, await new HttpClient().csrfFromB(b1), 'KEFU_SSO_CSRF']
  ]
  for (const [name, headers, token, code] of attempts) {
    const ticket = await attacker.ticketFromA(a, b1)
    const res = await victim.postTicketToB(b1, ticket, token, headers)
    t.equal(res.status, 403, name)
    t.equal(res.json().code, code, name)
  }
  t.equal(b1.refusals('KEFU_SYNC_CROSS_SITE').length, before.guard + 4, 'each refusal logged, once')
  t.equal(b1.refusals('KEFU_SSO_CSRF').length, before.route + 4)
  t.equal((await victim.request(b1, 'GET', '/me')).status, 401, 'the victim was not logged in as the attacker')
})

t.test("hostile: \"stay signed in\" from another page of the site is refused by the site's guard; A's back channel is not a page", async (t) => {
  const c = await signedIn(b1)
  const before = b1.refusals('KEFU_SYNC_CROSS_SITE').length
  const from: Array<[string, Record<string, string>]> = [
    ['another port', { origin: b1.url.replace(/:(\d+)$/, (_m, p: string) => ':' + String(Number(p) + 1)), 'sec-fetch-site': 'same-site' }],
    ['a sibling subdomain', { origin: b2.url, 'sec-fetch-site': 'same-site' }],
    ["Origin 'null'", { origin: 'null' }],
    ['neither Origin nor Sec-Fetch-Site', {}]
  ]
  for (const [name, headers] of from) {
    const res = await c.request(b1, 'POST', '/sso/keepalive', { headers })
    t.equal(res.status, 403, name)
    t.equal(res.json().code, 'KEFU_SYNC_CROSS_SITE', name)
  }
  t.equal(b1.refusals('KEFU_SYNC_CROSS_SITE').length, before + from.length)
  t.equal((await c.request(b1, 'POST', '/sso/keepalive', { headers: { origin: b1.url, 'sec-fetch-site': 'same-origin' } })).status, 200, 'from its own page')
  // A's server posts /sso/logout with no Origin at all; its signature is what it is checked by.
  const res = await c.request(a, 'POST', '/logout', { headers: { 'content-type': 'application/json', origin: a.url }, body: '{}' })
  t.equal(res.status, 204)
  t.equal((await c.request(b1, 'GET', '/me')).status, 401, 'the back channel ended the B session at once')
})

t.test('hostile: a replayed ticket is refused at B (A burned it)', async (t) => {
  const c = new HttpClient()
  await c.loginAtA(a)
  const ticket = await c.ticketFromA(a, b1)
  const csrf = await c.csrfFromB(b1)
  t.equal((await c.postTicketToB(b1, ticket, csrf)).status, 200)
  const thief = new HttpClient()
  const replay = await thief.postTicketToB(b1, ticket, await thief.csrfFromB(b1))
  t.equal(replay.status, 400)
  t.equal(replay.json().code, 'KEFU_SSO_TICKET_REFUSED')
  t.match(b1.refusals('KEFU_SSO_TICKET_REFUSED').at(-1), { reason: 'KEFU_AUTH_INVALID_TICKET' })
  t.equal((await thief.request(b1, 'GET', '/me')).status, 401)
})

t.test('hostile: a ticket issued for B2 is refused at B1, and then useless at B2', async (t) => {
  const c = new HttpClient()
  await c.loginAtA(a)
  const ticket = await c.ticketFromA(a, b2)
  const res = await c.postTicketToB(b1, ticket, await c.csrfFromB(b1))
  t.equal(res.status, 400)
  t.match(a.refusals('KEFU_AUTH_INVALID_TICKET').at(-1), { reason: 'ticket was issued to b2', clientId: 'b1' })
  t.equal((await c.postTicketToB(b2, ticket, await c.csrfFromB(b2))).status, 400, 'burned by the wrong redemption')
})

t.test('hostile: session fixation at B — a planted B cookie is replaced at sign-in and dies', async (t) => {
  const attacker = await signedIn()
  const planted = attacker.jar(b1).get('kefu_b1')!
  t.ok(planted)
  // The victim's browser carries the attacker's B session (cookie tossing), then syncs as themselves.
  const victim = new HttpClient()
  victim.jar(b1).set('kefu_b1', planted)
  await victim.loginAtA(a)
  const res = await victim.postTicketToB(b1, await victim.ticketFromA(a, b1), await victim.csrfFromB(b1))
  t.equal(res.status, 200)
  const fresh = victim.jar(b1).get('kefu_b1')
  t.not(fresh, planted, 'a new B session id')
  const replay = new HttpClient()
  replay.jar(b1).set('kefu_b1', planted)
  t.equal((await replay.request(b1, 'GET', '/me')).status, 401, 'the planted session was destroyed by the login')
})

t.test('hostile: missing or foreign state at B\'s callback is refused; an attacker\'s ticket is not redeemed', async (t) => {
  // The attacker runs the redirect check with their own account and sends the victim the callback URL.
  const attacker = new HttpClient()
  await attacker.loginAtA(a)
  const start = await attacker.request(b1, 'GET', '/sso/login?prompt=none&return_to=%2F')
  t.equal(start.status, 303)
  const authorize = new URL(start.headers.get('location')!)
  t.equal(authorize.origin, a.url)
  const back = await attacker.request(a, 'GET', authorize.pathname + authorize.search)
  const callback = new URL(back.headers.get('location')!)
  t.match(callback.searchParams.get('ticket'), /^[A-Za-z0-9_-]{43}$/)

  const before = b1.refusals('KEFU_SSO_BAD_STATE').length
  const victim = new HttpClient()
  const forged = await victim.request(b1, 'GET', callback.pathname + callback.search)
  t.equal(forged.status, 400)
  t.match(forged.text, /登录检查失败/)
  t.equal((await victim.request(b1, 'GET', '/me')).status, 401, 'the victim is not logged in as the attacker')

  const missing = await victim.request(b1, 'GET', '/sso/callback?ticket=' + callback.searchParams.get('ticket'))
  t.equal(missing.status, 400)
  const otherState = await victim.request(b1, 'GET', '/sso/login?prompt=none')
  t.equal(otherState.status, 303)
  const wrong = await victim.request(b1, 'GET', callback.pathname + callback.search)
  t.equal(wrong.status, 400, 'the victim has a state cookie, but for another state')
  t.equal(b1.refusals('KEFU_SSO_BAD_STATE').length, before + 3)

  const own = await attacker.request(b1, 'GET', callback.pathname + callback.search)
  t.equal(own.status, 303, 'the ticket was not burned by the refused attempts: it was never sent to A')
  t.equal(own.headers.get('location'), '/')
  t.equal(own.headers.get('referrer-policy'), 'no-referrer')
})

t.test('hostile: return_to cannot send the browser off-site after the check', async (t) => {
  const c = new HttpClient()
  await c.loginAtA(a)
  for (const evil of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
    const start = await c.request(b1, 'GET', '/sso/login?return_to=' + encodeURIComponent(evil))
    const authorize = new URL(start.headers.get('location')!)
    const back = new URL((await c.request(a, 'GET', authorize.pathname + authorize.search)).headers.get('location')!)
    const done = await c.request(b1, 'GET', back.pathname + back.search)
    t.equal(done.status, 303)
    t.equal(done.headers.get('location'), '/', evil)
  }
})

t.test('hostile: forged back-channel logouts are refused and end nothing', async (t) => {
  const c = await signedIn()
  const me = async (): Promise<number> => (await c.request(b1, 'GET', '/me')).status
  const base = { iss: a.url, aud: 'b1', sub: '1', sids: ['x'.repeat(22)], iat: b1.clock.read(), jti: 'j' }
  const forgeries: Array<[string, { body: string, signature: string }]> = [
    ['unsigned', { body: JSON.stringify(base), signature: '' }],
    ['signed with another client\'s secret', signLogoutMessage(base, b2.clientSecret)],
    ['for another audience', signLogoutMessage({ ...base, aud: 'b2' }, b1.clientSecret)],
    ['from another issuer', signLogoutMessage({ ...base, iss: 'http://evil.example' }, b1.clientSecret)],
    ['stale (a replay from 10 minutes ago)', signLogoutMessage({ ...base, iat: b1.clock.read() - 600_000 }, b1.clientSecret)],
    ['body altered after signing', (() => { const s = signLogoutMessage(base, b1.clientSecret); return { body: s.body.replace('"1"', '"2"'), signature: s.signature } })()]
  ]
  const before = b1.refusals('KEFU_SSO_BAD_LOGOUT').length
  for (const [name, { body, signature }] of forgeries) {
    const res = await c.request(b1, 'POST', '/sso/logout', { headers: { 'content-type': 'application/json', ...(signature === '' ? {} : { 'kefu-sso-signature': signature }) }, body })
    t.equal(res.status, 401, name)
    t.equal(res.json().code, 'KEFU_SSO_BAD_LOGOUT')
  }
  t.equal(b1.refusals('KEFU_SSO_BAD_LOGOUT').length, before + forgeries.length)
  t.equal(await me(), 200, 'still logged in')
})

t.test('single logout: A\'s logout ends the B sessions at once through the back-channel', async (t) => {
  const c = await signedIn(b1)
  await c.postTicketToB(b2, await c.ticketFromA(a, b2), await c.csrfFromB(b2))
  t.equal((await c.request(b2, 'GET', '/me')).status, 200)
  const res = await c.request(a, 'POST', '/logout', { headers: { 'content-type': 'application/json', origin: a.url }, body: '{}' })
  t.equal(res.status, 204)
  t.equal((await c.request(b1, 'GET', '/me')).status, 401, 'B1, at once (no clock moved)')
  t.equal((await c.request(b2, 'GET', '/me')).status, 401, 'B2, at once')
  t.ok(b1.logs.some((l) => l.msg === 'back-channel logout'))
})

t.test('single logout without the back-channel: B refuses within its 4 s check interval', async (t) => {
  const c = await signedIn(b3)
  t.equal((await c.request(b3, 'GET', '/me')).status, 200)
  await c.request(a, 'POST', '/logout', { headers: { 'content-type': 'application/json', origin: a.url }, body: '{}' })
  t.equal((await c.request(b3, 'GET', '/me')).status, 200, 'B3 has not been told and has not asked yet')
  b3.clock.advance(4000)
  t.equal((await c.request(b3, 'GET', '/me')).status, 401, 'B3 asked A and ended the session')
  t.equal((await c.request(b3, 'GET', '/')).text.includes('id="username"'), false)
})

t.test('log out everywhere at A ends the B sessions of every device', async (t) => {
  const laptop = await signedIn(b1)
  const phone = await signedIn(b1)
  const res = await laptop.request(a, 'POST', '/logout', { headers: { 'content-type': 'application/json', origin: a.url }, body: '{"everywhere":true}' })
  t.equal(res.status, 204)
  t.equal((await laptop.request(b1, 'GET', '/me')).status, 401)
  t.equal((await phone.request(b1, 'GET', '/me')).status, 401)
})

t.test('B\'s page opened under another host name is sent to PUBLIC_URL (origins are compared exactly)', async (t) => {
  const res = await fetch(b1.internalUrl + '/?x=1', { redirect: 'manual', headers: { accept: 'text/html' } })
  t.equal(res.status, 308)
  t.equal(res.headers.get('location'), b1.url + '/?x=1')
  const me = await fetch(b1.internalUrl + '/me', { redirect: 'manual' })
  t.equal(me.status, 401, 'API calls are answered where they arrive')
})
