// A's own pages and JSON API: login, logout, /me, CSRF and origin checks, fixation, rate limits, languages.
import t from 'tap'
import { Browser, FakeClock, ORIGIN, addAccount, build, fileDatabase } from './helper.js'

const db = await fileDatabase(t, 'auth_login')
const clock = new FakeClock()
const { app, logs, refusals } = await build(t, db, {
  now: clock.read,
  loginLimits: { account: { max: 3, windowS: 60 }, ip: { max: 6, windowS: 60 } }
}, { trustProxy: true })
await addAccount(app, 'alice', 'alice-password')
await addAccount(app, 'bob', 'bob-password')

/** Each browser its own client IP (through a trusted proxy), so one test's per-IP budget does not leak into the next. */
let ipCounter = 1
function browser (): Browser {
  return new Browser(app, { 'x-forwarded-for': `192.0.2.${ipCounter++}` })
}

t.test('GET /login is a Chinese form by default, English when asked, with the fields and a CSRF token', async (t) => {
  const b = browser()
  const zh = await b.get('/login')
  t.equal(zh.statusCode, 200)
  t.match(zh.headers['content-type'], /text\/html/)
  t.match(zh.body, /<html lang="zh-CN">/)
  t.match(zh.body, /登录 kefu 账号/)
  t.match(zh.body, /<input type="text" id="username" name="username"/)
  t.match(zh.body, /<input type="password" id="password" name="password"/)
  t.match(zh.body, /<label for="username">用户名<\/label>/)
  t.match(zh.body, /name="viewport" content="width=device-width/)
  t.match(zh.body, /name="_csrf" value="[A-Za-z0-9_-]{43}"/)
  t.ok(b.jar.has('kefu_auth_csrf'), 'the CSRF nonce cookie is set')
  t.match(zh.headers['content-security-policy'], /frame-ancestors 'none'/)
  t.equal(zh.headers['x-frame-options'], 'DENY')
  t.equal(zh.headers['cache-control'], 'no-store')
  const en = await b.get('/login', { 'accept-language': 'en-US,en;q=0.9,zh-CN;q=0.5' })
  t.match(en.body, /<html lang="en">/)
  t.match(en.body, /Sign in to kefu/)
  const zhFirst = await b.get('/login', { 'accept-language': 'zh-TW;q=0.9,en;q=0.8' })
  t.match(zhFirst.body, /<html lang="zh-CN">/, 'any Chinese preference gets the Chinese page')
})

t.test('behind TLS (a trusted proxy says https) every page carries Strict-Transport-Security; over plain HTTP none', async (t) => {
  const https = new Browser(app, { 'x-forwarded-for': `192.0.2.${ipCounter++}`, 'x-forwarded-proto': 'https' })
  const page = await https.get('/login')
  t.equal(page.headers['strict-transport-security'], 'max-age=31536000')
  t.ok(https.jar.has('__Host-kefu_auth_csrf'), 'its cookies are Secure (__Host-)')
  t.equal((await https.get('/me')).headers['strict-transport-security'], 'max-age=31536000', 'a 401 too')
  const http = browser()
  t.equal((await http.get('/login')).headers['strict-transport-security'], undefined)
  t.ok(http.jar.has('kefu_auth_csrf'))
})

t.test('form login with the CSRF token: 303 to return_to, new session cookie; /me answers', async (t) => {
  const b = browser()
  const token = await b.csrfToken()
  t.equal((await b.get('/me')).statusCode, 401)
  const res = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token, return_to: '/sso/authorize?client_id=b1' })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/sso/authorize?client_id=b1')
  const cookie = res.cookies.find((c) => c.name === 'kefu_auth')
  t.ok(cookie, 'session cookie set')
  t.equal(cookie?.httpOnly, true)
  t.equal(cookie?.sameSite, 'Lax')
  const me = await b.get('/me')
  t.equal(me.statusCode, 200)
  t.same(me.json(), { username: 'alice' })
  const home = await b.get('/')
  t.match(home.body, /<strong id="username">alice<\/strong>/)
  t.match(home.body, /B one/, 'the registered sites are listed')
})

t.test('return_to cannot leave A (open redirect)', async (t) => {
  for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/%0d%0aSet-Cookie:x']) {
    const b = browser()
    const token = await b.csrfToken()
    const res = await b.postForm('/login', { username: 'bob', password: 'bob-password', _csrf: token, return_to: evil })
    t.equal(res.statusCode, 303)
    t.ok(res.headers.location === '/' || (res.headers.location as string).startsWith('/%0d'), `${evil} → ${String(res.headers.location)}`)
    t.notMatch(res.headers.location, /evil/)
  }
})

t.test('JSON login from A\'s own origin needs no token; wrong password is 401 with one message', async (t) => {
  const b = browser()
  const ok = await b.login('alice', 'alice-password')
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { username: 'alice' })
  const before = refusals('KEFU_AUTH_BAD_CREDENTIALS').length
  const wrong = await browser().login('alice', 'nope-nope')
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'KEFU_AUTH_BAD_CREDENTIALS')
  const unknown = await browser().login('nobody', 'nope-nope')
  t.equal(unknown.statusCode, 401)
  t.same(unknown.json(), wrong.json(), 'an unknown user gets exactly the same answer')
  t.equal(refusals('KEFU_AUTH_BAD_CREDENTIALS').length, before + 2, 'both are logged')
  t.notOk(JSON.stringify(logs).includes('nope-nope'), 'passwords are never logged')
})

t.test('a form post with a wrong password re-renders the form with the error', async (t) => {
  const b = browser()
  const token = await b.csrfToken()
  const res = await b.postForm('/login', { username: 'alice', password: 'wrong-wrong', _csrf: token }, { 'accept-language': 'en' })
  t.equal(res.statusCode, 401)
  t.match(res.body, /role="alert" id="login-error">Wrong username or password\./)
  t.match(res.body, /value="alice"/, 'the username is kept')
  t.equal(b.jar.has('kefu_auth'), false)
})

t.test('hostile: login CSRF — a form post from another site or without a valid token is refused', async (t) => {
  const b = browser()
  const token = await b.csrfToken()
  const before = refusals('KEFU_AUTH_CROSS_SITE').length
  const foreign = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token }, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })
  t.equal(foreign.statusCode, 403)
  t.match(foreign.body, /页面已过期或来源不对/)
  const sibling = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token }, { origin: 'http://b1.kefu.test', 'sec-fetch-site': 'same-site' })
  t.equal(sibling.statusCode, 403, 'a same-site sibling (a B site) is not A either')
  const nullOrigin = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token }, { origin: 'null' })
  t.equal(nullOrigin.statusCode, 403, 'Origin: null (sandboxed frame, data: URL) is refused')
  t.equal(refusals('KEFU_AUTH_CROSS_SITE').length, before + 3)

  const csrfBefore = refusals('KEFU_AUTH_CSRF').length
  const noToken = await b.postForm('/login', { username: 'alice', password: 'alice-password' }, { origin: '', 'sec-fetch-site': '' })
  t.equal(noToken.statusCode, 403, 'a form without the token is refused even without Origin')
  const forged = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: 'A'.repeat(43) })
  t.equal(forged.statusCode, 403)
  const otherBrowser = browser()
  const otherToken = await otherBrowser.csrfToken()
  const stolenToken = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: otherToken === token ? 'x' : otherToken })
  t.equal(stolenToken.statusCode, 403, "another browser's token does not match this browser's cookie")
  t.equal(refusals('KEFU_AUTH_CSRF').length, csrfBefore + 3)
  t.equal(b.jar.has('kefu_auth'), false, 'no session was created')

  const json = await b.postJson('/login', { username: 'alice', password: 'alice-password' }, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })
  t.equal(json.statusCode, 403)
  t.equal(json.json().code, 'KEFU_AUTH_CROSS_SITE')
  const sfs = await b.postJson('/login', { username: 'alice', password: 'alice-password' }, { origin: '', 'sec-fetch-site': 'cross-site' })
  t.equal(sfs.statusCode, 403, 'Sec-Fetch-Site: cross-site without Origin is refused')
  const textPlain = await b.request('POST', '/login', { headers: { 'content-type': 'text/plain', origin: ORIGIN }, payload: 'username=alice' })
  t.equal(textPlain.statusCode, 415, 'text/plain (the no-preflight CSRF trick) is not a login body')
  t.ok(logs.some((l) => l.msg === 'rejected' && l.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'), 'and logged')
})

t.test('hostile: session fixation at A — a planted cookie is never promoted to a login', async (t) => {
  const attacker = browser()
  await attacker.login('bob', 'bob-password')
  const planted = attacker.jar.get('kefu_auth')!
  const victim = browser()
  victim.jar.set('kefu_auth', planted)
  t.same((await victim.get('/me')).json(), { username: 'bob' }, 'the victim starts in the planted session')
  const res = await victim.login('alice', 'alice-password')
  t.equal(res.statusCode, 200)
  t.not(victim.jar.get('kefu_auth'), planted, 'login issued a new session id')
  t.same((await victim.get('/me')).json(), { username: 'alice' })
  const replay = new Browser(app)
  replay.jar.set('kefu_auth', planted)
  t.equal((await replay.get('/me')).statusCode, 401, 'the planted session died at login: the attacker holds nothing')
})

t.test('logout ends the session; a cross-site logout (logout CSRF) is refused', async (t) => {
  const b = browser()
  await b.login('alice', 'alice-password')
  const cookie = b.jar.get('kefu_auth')!
  const forged = await b.postForm('/logout', {}, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })
  t.equal(forged.statusCode, 403)
  t.equal((await b.get('/me')).statusCode, 200, 'still logged in after the forged logout')
  const token = await b.csrfToken('/')
  const res = await b.postForm('/logout', { _csrf: token })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/login?signed_out=1')
  t.equal((await b.get('/me')).statusCode, 401)
  const replay = new Browser(app)
  replay.jar.set('kefu_auth', cookie)
  t.equal((await replay.get('/me')).statusCode, 401, 'the old cookie is dead on the server, not just cleared')
  const page = await b.get('/login?signed_out=1')
  t.match(page.body, /你已退出登录/)
})

t.test("one guard for every state-changing request: a JSON call shows its origin, an old browser's form its token", async (t) => {
  const refusedLogins = async (): Promise<number> => Number(/^kefu_auth_logins_total\{outcome="refused"\} (\d+)$/m.exec(await app.metrics.registry!.metrics())?.[1] ?? 0)
  const before = refusals('KEFU_AUTH_CROSS_SITE').length
  const countedBefore = await refusedLogins()
  const b = browser()
  const bare = await b.postJson('/login', { username: 'alice', password: 'alice-password' }, { origin: '', 'sec-fetch-site': '' })
  t.equal(bare.statusCode, 403, 'neither Origin nor Sec-Fetch-Site: not shown to come from A')
  t.equal(bare.json().code, 'KEFU_AUTH_CROSS_SITE')
  t.equal(bare.json().message, `refused: state-changing requests must come from ${ORIGIN} (neither Origin nor Sec-Fetch-Site was sent)`)
  t.equal(b.jar.has('kefu_auth'), false, 'no session')
  t.equal(await refusedLogins(), countedBefore + 1, 'counted as a refused login')
  const garbage = await b.request('POST', '/login', { headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, payload: '{' })
  t.equal(garbage.statusCode, 403, 'refused before its body is read')
  t.equal((await b.postJson('/login', { username: 'alice', password: 'alice-password' }, { origin: '' })).statusCode, 200, 'Sec-Fetch-Site: same-origin alone is A')
  const sibling = await b.request('POST', '/logout', { headers: { 'content-type': 'application/json', origin: 'http://b1.kefu.test', 'sec-fetch-site': 'same-site' }, payload: '{}' })
  t.equal(sibling.statusCode, 403, 'a registered B site is not A either')
  t.equal((await b.get('/me')).statusCode, 200, 'still logged in')
  t.equal(refusals('KEFU_AUTH_CROSS_SITE').length, before + 3)

  const old = browser()
  const token = await old.csrfToken()
  const form = await old.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token }, { origin: '', 'sec-fetch-site': '' })
  t.equal(form.statusCode, 303, 'a browser that sends neither header shows the form\'s token instead (docs/SPEC.md)')
  t.equal((await old.get('/me')).statusCode, 200)
})

t.test('log out everywhere ends every session of the user and no one else\'s', async (t) => {
  const laptop = browser()
  const phone = browser()
  const other = browser()
  await laptop.login('alice', 'alice-password')
  await phone.login('alice', 'alice-password')
  await other.login('bob', 'bob-password')
  const home = await laptop.get('/')
  t.match(home.body, /有 [2-9]\d* 个有效登录|has \d+ active/, 'the page counts the sessions')
  const res = await laptop.postJson('/logout', { everywhere: true })
  t.equal(res.statusCode, 204)
  t.equal((await laptop.get('/me')).statusCode, 401)
  t.equal((await phone.get('/me')).statusCode, 401, 'the other device is logged out too')
  t.equal((await other.get('/me')).statusCode, 200, 'another user is untouched')
  t.same(await app.kefuSessions.listForUser((await app.prisma.account.findUniqueOrThrow({ where: { username: 'alice' } })).id.toString()), [])
})

t.test('hostile: brute force — per-account and per-IP limits answer 429 with a clear message', async (t) => {
  await addAccount(app, 'carol', 'carol-password')
  const b = browser()
  for (let i = 0; i < 3; i++) t.equal((await b.login('carol', 'guess-' + i)).statusCode, 401)
  const before = refusals('KEFU_AUTH_TOO_MANY_ATTEMPTS').length
  const limited = await b.login('carol', 'carol-password')
  t.equal(limited.statusCode, 429, 'even the right password is not checked over the limit')
  t.equal(limited.json().code, 'KEFU_AUTH_TOO_MANY_ATTEMPTS')
  t.match(limited.json().message, /too many login attempts for this account; try again in \d+ s/)
  t.equal(limited.headers['retry-after'], '60')
  t.equal(refusals('KEFU_AUTH_TOO_MANY_ATTEMPTS').length, before + 1)
  const fromElsewhere = await browser().login('Carol', 'carol-password')
  t.equal(fromElsewhere.statusCode, 429, 'the account budget is shared by every IP and any letter case')
  const token = await b.csrfToken()
  const page = await b.postForm('/login', { username: 'carol', password: 'carol-password', _csrf: token })
  t.equal(page.statusCode, 429)
  t.match(page.body, /登录尝试次数过多，请 1 分钟后再试。/)
  clock.advance(60_000)
  t.equal((await b.login('carol', 'carol-password')).statusCode, 200, 'the window passes')

  // One IP spraying many accounts.
  const sprayer = browser()
  for (let i = 0; i < 6; i++) t.equal((await sprayer.login(`user${i}`, 'password1')).statusCode, 401)
  const ipLimited = await sprayer.login('alice', 'alice-password')
  t.equal(ipLimited.statusCode, 429)
  t.match(ipLimited.json().message, /for this ip/)
  t.equal((await browser().login('alice', 'alice-password')).statusCode, 200, 'another IP is not affected')
})

t.test('a success gives its attempt back and clears the account count', async (t) => {
  await addAccount(app, 'dave', 'dave-password')
  const b = browser()
  t.equal((await b.login('dave', 'x-wrong-1')).statusCode, 401)
  t.equal((await b.login('dave', 'x-wrong-2')).statusCode, 401)
  t.equal((await b.login('dave', 'dave-password')).statusCode, 200)
  for (let i = 0; i < 3; i++) t.equal((await b.login('dave', 'x-wrong-' + i)).statusCode, 401, 'three fresh attempts after the success')
  t.equal((await b.login('dave', 'dave-password')).statusCode, 429)
})

t.test('bad bodies are 400 or 415 with one line, never a stack', async (t) => {
  const b = browser()
  const missing = await b.postJson('/login', { username: 'alice' })
  t.equal(missing.statusCode, 400)
  t.notMatch(missing.body, /at .*\.js/)
  const noType = await b.request('POST', '/login', { headers: { origin: ORIGIN } })
  t.ok([400, 415].includes(noType.statusCode))
  t.equal((await b.get('/nowhere')).json().code, 'KEFU_AUTH_NOT_FOUND')
})

t.test('a page opened under another host name is sent to PUBLIC_URL; API calls are not', async (t) => {
  const page = await app.inject({ method: 'GET', url: '/login?return_to=%2F', headers: { host: '127.0.0.1:3001', accept: 'text/html,*/*' } })
  t.equal(page.statusCode, 308)
  t.equal(page.headers.location, `${ORIGIN}/login?return_to=%2F`)
  const same = await app.inject({ method: 'GET', url: '/login', headers: { host: new URL(ORIGIN).host, accept: 'text/html' } })
  t.equal(same.statusCode, 200)
  const health = await app.inject({ method: 'GET', url: '/healthz', headers: { host: 'auth-internal:3001' } })
  t.equal(health.statusCode, 200)
})
