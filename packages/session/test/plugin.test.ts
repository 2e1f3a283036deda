// The Fastify plugin through HTTP (app.inject), on both stores, with a hand-moved clock.
import t from 'tap'
import Fastify from 'fastify'
import { Signer } from '@fastify/cookie'
import {
  kefuSession, SessionConfigError, SessionStoreUnavailableError, type SessionStore
} from '../src/index.js'
import { Browser, buildApp, FakeClock, gate, makeStore, SECRET, sessionIdOf, STORE_KINDS, skipKind, testPrefix } from './helpers.js'

const alice = { id: 'u-alice', username: 'alice' }
const bob = { id: 'u-bob', username: 'bob' }

/** Wraps a store and counts the calls the plugin makes to it. */
function counting (store: SessionStore): { store: SessionStore, calls: Record<string, number> } {
  const calls: Record<string, number> = {}
  const wrapped = Object.create(store) as SessionStore
  for (const name of ['touch', 'create', 'update', 'destroy', 'listForUser', 'destroyAllForUser'] as const) {
    const fn = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>
    Object.defineProperty(wrapped, name, {
      value: async (...args: unknown[]) => { calls[name] = (calls[name] ?? 0) + 1; return fn(...args) }
    })
  }
  return { store: wrapped, calls }
}

for (const kind of STORE_KINDS) {
  t.test(`${kind} store`, { skip: skipKind(kind) }, async (t) => {
    const prefix = testPrefix('plugin-' + kind)
    const { store, redis } = await makeStore(t, kind, prefix)

    t.test('login sets a signed, HttpOnly, SameSite=Lax, Path=/ cookie holding 256 random bits', async (t) => {
      const app = await buildApp(t, { store })
      const browser = new Browser(app)
      const res = await browser.post('/login', alice)
      t.equal(res.statusCode, 200)
      const [cookie] = res.cookies
      t.equal(cookie?.name, 'test.sid')
      t.equal(cookie?.httpOnly, true)
      t.equal(cookie?.sameSite, 'Lax')
      t.equal(cookie?.path, '/')
      t.equal(cookie?.maxAge, 1800, 'Max-Age is the idle timeout')
      t.notOk(cookie?.secure, 'plain HTTP: not Secure')
      t.notOk(cookie?.domain)
      const value = cookie?.value ?? ''
      t.match(sessionIdOf(value), /^[A-Za-z0-9_-]{43}$/, '43 base64url chars = 256 bits')
      t.same(new Signer(SECRET).unsign(value), { valid: true, renew: false, value: sessionIdOf(value) })
      t.equal((await browser.get('/me')).json().user.username, 'alice')
    })

    t.test('a tampered or unsigned cookie is nobody, and is cleared', async (t) => {
      const app = await buildApp(t, { store })
      const browser = new Browser(app)
      await browser.post('/login', alice)
      const good = browser.jar.get('test.sid') ?? ''
      const id = sessionIdOf(good)
      for (const bad of [id, id + '.AAAA', new Signer('another-secret-another-secret-xx!!').sign(id)]) {
        const b = new Browser(app)
        b.jar.set('test.sid', bad)
        const res = await b.get('/me')
        t.equal(res.statusCode, 401)
        t.equal(res.json().code, 'KEFU_SESSION_REQUIRED')
        t.equal(res.cookies[0]?.maxAge, 0, 'the bad cookie is cleared')
      }
      t.equal((await browser.get('/me')).statusCode, 200, 'the real session is unaffected')
    })

    t.test('over HTTPS the cookie is __Host-<name> and Secure; the plain name is ignored there', async (t) => {
      const app = await buildApp(t, { store, trustProxy: true })
      const https = new Browser(app, { 'x-forwarded-proto': 'https' })
      const res = await https.post('/login', alice)
      const [cookie] = res.cookies
      t.equal(cookie?.name, '__Host-test.sid')
      t.equal(cookie?.secure, true)
      t.equal(cookie?.path, '/')
      t.notOk(cookie?.domain, '__Host- cookies carry no Domain')
      t.equal((await https.get('/me')).statusCode, 200)
      const downgraded = new Browser(app, { 'x-forwarded-proto': 'https' })
      downgraded.jar.set('test.sid', https.jar.get('__Host-test.sid') ?? '')
      t.equal((await downgraded.get('/me')).statusCode, 401, 'a non-__Host- cookie is not read over HTTPS')
      const http = new Browser(app)
      t.equal((await http.post('/login', alice)).cookies[0]?.name, 'test.sid', 'auto: plain HTTP keeps the plain name')
    })

    t.test('Strict-Transport-Security exactly when the cookie is Secure: every response of an HTTPS site, none over HTTP', async (t) => {
      const app = await buildApp(t, { store, trustProxy: true })
      const https = new Browser(app, { 'x-forwarded-proto': 'https' })
      const login = await https.post('/login', alice)
      t.equal(login.cookies[0]?.secure, true)
      t.equal(login.headers['strict-transport-security'], 'max-age=31536000')
      for (const url of ['/me', '/public', '/nowhere']) t.equal((await https.get(url)).headers['strict-transport-security'], 'max-age=31536000', `${url}, with or without a session`)
      t.equal((await new Browser(app, { 'x-forwarded-proto': 'https' }).get('/me')).headers['strict-transport-security'], 'max-age=31536000', 'a 401 too')
      const http = new Browser(app)
      const plain = await http.post('/login', alice)
      t.notOk(plain.cookies[0]?.secure)
      for (const res of [plain, await http.get('/me'), await http.get('/public')]) t.equal(res.headers['strict-transport-security'], undefined, 'plain HTTP: no HSTS')
      const off = await buildApp(t, { store, secure: false, trustProxy: true })
      t.equal((await new Browser(off, { 'x-forwarded-proto': 'https' }).post('/login', alice)).headers['strict-transport-security'], undefined, 'secure: false: cookies never Secure, no HSTS')
      const forced = await buildApp(t, { store, secure: true })
      t.equal((await new Browser(forced).post('/login', alice)).headers['strict-transport-security'], 'max-age=31536000', 'secure: true: Secure cookies, HSTS')
    })

    t.test('secure: true forces Secure and __Host- even on HTTP; secure: false never sets Secure', async (t) => {
      const forced = await buildApp(t, { store, secure: true })
      const f = (await new Browser(forced).post('/login', alice)).cookies[0]
      t.equal(f?.name, '__Host-test.sid')
      t.equal(f?.secure, true)
      const off = await buildApp(t, { store, secure: false, trustProxy: true })
      const o = (await new Browser(off, { 'x-forwarded-proto': 'https' }).post('/login', alice)).cookies[0]
      t.equal(o?.name, 'test.sid')
      t.notOk(o?.secure)
    })

    t.test('idle boundary through HTTP: 200 at limit − 1 ms, 401 at the limit', async (t) => {
      const clock = new FakeClock()
      const app = await buildApp(t, { store, clock: clock.read, idleTimeoutS: 60, absoluteTimeoutS: 600 })
      const browser = new Browser(app)
      await browser.post('/login', alice)
      clock.advance(60_000 - 1)
      t.equal((await browser.get('/me')).statusCode, 200)
      const kept = browser.clone()
      clock.advance(60_000 - 1)
      t.equal((await browser.get('/me')).statusCode, 200, 'each use restarts the idle clock')
      clock.advance(60_000)
      const res = await kept.get('/me')
      t.equal(res.statusCode, 401, 'idle for exactly the limit')
      t.equal(res.cookies[0]?.maxAge, 0, 'and the dead cookie is cleared')
      t.equal((await browser.get('/whoami')).json().user, null)
    })

    t.test('absolute boundary through HTTP: 200 at limit − 1 ms, 401 at the limit although in use', async (t) => {
      const clock = new FakeClock()
      const app = await buildApp(t, { store, clock: clock.read, idleTimeoutS: 60, absoluteTimeoutS: 300 })
      const browser = new Browser(app)
      await browser.post('/login', alice)
      const created = clock.now
      for (let at = 50_000; at < 300_000; at += 50_000) {
        clock.now = created + at
        t.equal((await browser.get('/me')).statusCode, 200)
      }
      clock.now = created + 300_000 - 1
      t.equal((await browser.clone().get('/me')).statusCode, 200)
      clock.now = created + 300_000
      t.equal((await browser.get('/me')).statusCode, 401)
    })

    t.test('Max-Age rolls with the idle timeout and never outlives the absolute deadline', async (t) => {
      const clock = new FakeClock()
      const app = await buildApp(t, { store, clock: clock.read, idleTimeoutS: 600, absoluteTimeoutS: 1000 })
      const browser = new Browser(app)
      t.equal((await browser.post('/login', alice)).cookies[0]?.maxAge, 600)
      clock.advance(300_000)
      t.equal((await browser.get('/me')).cookies[0]?.maxAge, 600, 'rolling')
      clock.advance(200_000)
      t.equal((await browser.get('/me')).cookies[0]?.maxAge, 500, 'capped by the absolute deadline')
      clock.advance(499_500)
      t.equal((await browser.get('/me')).cookies[0]?.maxAge, 0, 'rounded down, never past the deadline')
    })

    t.test('cookieLifetime absolute: Max-Age lasts to the absolute deadline (the idle clock may move from elsewhere)', async (t) => {
      const clock = new FakeClock()
      const app = await buildApp(t, { store, clock: clock.read, idleTimeoutS: 600, absoluteTimeoutS: 1000, cookieLifetime: 'absolute' })
      const browser = new Browser(app)
      t.equal((await browser.post('/login', alice)).cookies[0]?.maxAge, 1000)
      clock.advance(300_000)
      t.equal((await browser.get('/me')).cookies[0]?.maxAge, 700, 'counts down to the absolute deadline')
      clock.advance(600_000)
      t.equal((await browser.get('/me')).statusCode, 401, 'the server still decides idleness')
    })

    t.test('no store call for routes that do not use the session; one touch, no write, for reads', async (t) => {
      const { store: counted, calls } = counting(store)
      const app = await buildApp(t, {
        store: counted,
        routes: (app) => app.get('/thrice', async (request) => {
          await request.kefuSession.load()
          await request.kefuSession.load()
          return { user: await request.kefuSession.load() }
        })
      })
      const browser = new Browser(app)
      await browser.post('/login', alice)
      for (const k of Object.keys(calls)) delete calls[k]
      t.equal((await browser.get('/public')).statusCode, 200)
      t.same(calls, {}, 'a route without sessions never asks the store')
      await browser.get('/me')
      t.same(calls, { touch: 1 }, 'an authenticated read is one touch and nothing else')
      await browser.get('/thrice')
      t.same(calls, { touch: 2 }, 'load() is memoized per request')
      t.equal((await new Browser(app).get('/me')).statusCode, 401)
      t.same(calls, { touch: 2 }, 'no cookie, no store call')
    })

    t.test('fixation: login issues a new id and kills the one the browser carried', async (t) => {
      const app = await buildApp(t, { store })
      const attacker = new Browser(app)
      await attacker.post('/login', bob)
      const planted = attacker.jar.get('test.sid') ?? ''
      const victim = new Browser(app)
      victim.jar.set('test.sid', planted)
      const victimUser = { id: 'u-fixation', username: 'victim' }
      t.equal((await victim.post('/login', victimUser)).statusCode, 200)
      const fresh = victim.jar.get('test.sid') ?? ''
      t.not(sessionIdOf(fresh), sessionIdOf(planted), 'the id changed at login')
      t.equal((await attacker.get('/me')).statusCode, 401, 'the planted id is dead at once')
      t.equal((await victim.get('/me')).json().user.username, 'victim')
      const again = victim.clone()
      await victim.post('/login', victimUser)
      t.not(victim.jar.get('test.sid'), fresh, 'every login rotates')
      t.equal((await again.get('/me')).statusCode, 401)
      t.same((await victim.get('/sessions')).json().length, 1, 'the replaced sessions left the index')
    })

    t.test('logout destroys the session and clears the cookie; twice is fine', async (t) => {
      const app = await buildApp(t, { store })
      const browser = new Browser(app)
      await browser.post('/login', alice)
      const copy = browser.clone()
      const id = sessionIdOf(browser.jar.get('test.sid') ?? '')
      const res = await browser.post('/logout')
      t.equal(res.statusCode, 200)
      t.equal(res.cookies[0]?.maxAge, 0)
      t.equal(browser.jar.size, 0)
      t.equal((await copy.get('/me')).statusCode, 401, 'a copy of the old cookie is worthless')
      if (redis) t.equal(await redis.exists(prefix + 's:' + id), 0)
      t.equal((await copy.post('/logout')).statusCode, 200)
      t.equal((await new Browser(app).post('/logout')).statusCode, 200)
    })

    t.test('logout-all ends every session of the user and no one else’s', async (t) => {
      const app = await buildApp(t, { store })
      const phone = new Browser(app)
      const laptop = new Browser(app)
      const other = new Browser(app)
      await phone.post('/login', { id: 'u-all', username: 'carol' })
      await laptop.post('/login', { id: 'u-all', username: 'carol' })
      await other.post('/login', bob)
      t.equal((await laptop.get('/sessions')).json().length, 2)
      t.same((await phone.post('/logout-all')).json(), { ended: 2 })
      t.equal((await phone.get('/me')).statusCode, 401)
      t.equal((await laptop.get('/me')).statusCode, 401)
      t.equal((await other.get('/me')).statusCode, 200)
    })

    t.test('a slow request finishing after logout does not bring the session back', async (t) => {
      const slow = gate()
      const app = await buildApp(t, { store, slowGate: slow.wait })
      const browser = new Browser(app)
      await browser.post('/login', alice)
      const id = sessionIdOf(browser.jar.get('test.sid') ?? '')
      const writer = browser.clone()
      const reader = browser.clone()
      const pendingWrite = writer.post('/slow', { a: 'late' })
      const pendingRead = reader.post('/slow')
      await new Promise((resolve) => setImmediate(resolve))
      t.equal((await browser.post('/logout')).statusCode, 200)
      slow.open()
      const write = await pendingWrite
      t.equal(write.statusCode, 401)
      t.equal(write.json().code, 'KEFU_SESSION_ENDED')
      t.equal((await pendingRead).statusCode, 200, 'the read finished normally')
      t.equal((await writer.get('/me')).statusCode, 401)
      t.equal((await reader.get('/me')).statusCode, 401, 'its rolling cookie carries a dead id')
      t.equal(await store.touch(id, Date.now(), { idleMs: 1_800_000, absoluteMs: 43_200_000 }), null)
      if (redis) t.equal(await redis.exists(prefix + 's:' + id), 0, 'no key was written back')
    })

    t.test('concurrent requests writing different keys keep each other’s changes', async (t) => {
      const first = gate()
      const app = await buildApp(t, { store, slowGate: first.wait })
      const browser = new Browser(app)
      await browser.post('/login', { ...alice, data: { c: 'kept' } })
      const slow = browser.clone().post('/slow', { a: 1 })
      await new Promise((resolve) => setImmediate(resolve))
      t.equal((await browser.post('/data', { b: 2 })).statusCode, 200)
      first.open()
      t.equal((await slow).statusCode, 200)
      const me = (await browser.get('/me')).json()
      t.same([me.a, me.b, me.c], [1, 2, 'kept'], 'the slow write of `a` did not undo `b`, nor drop `c`')
      t.equal((await browser.post('/data', { c: null })).statusCode, 200)
      t.equal((await browser.get('/me')).json().c, null)
    })

    t.test('secret rotation: a cookie signed with the previous secret still works and is re-signed', async (t) => {
      const previous = 'previous-secret-previous-secret-prev'
      const old = await buildApp(t, { store, secret: previous })
      const browser = new Browser(old)
      await browser.post('/login', alice)
      const rotated = await buildApp(t, { store, secret: [SECRET, previous] })
      const b = new Browser(rotated)
      b.jar.set('test.sid', browser.jar.get('test.sid') ?? '')
      const res = await b.get('/me')
      t.equal(res.statusCode, 200)
      t.same(new Signer(SECRET).unsign(res.cookies[0]?.value ?? '').valid, true, 're-signed with the new secret')
    })
  })
}

t.test('an unreachable store means 503 for routes that need a session, never "logged out"', async (t) => {
  const down: SessionStore = {
    kind: 'redis',
    prefix: 'down:',
    touch: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    create: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    update: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    destroy: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    listForUser: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    destroyAllForUser: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    destroyHandle: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    touchHandle: async () => { throw new SessionStoreUnavailableError(new Error('ECONNREFUSED')) },
    close: async () => {}
  }
  const app = await buildApp(t, { store: down })
  const browser = new Browser(app)
  browser.jar.set('test.sid', new Signer(SECRET).sign('A'.repeat(43)))
  for (const [method, url] of [['GET', '/me'], ['GET', '/whoami'], ['POST', '/login'], ['POST', '/logout']] as const) {
    const res = await browser.request(method, url, method === 'POST' ? alice : undefined)
    t.equal(res.statusCode, 503, `${method} ${url}`)
    t.same(res.json(), {
      statusCode: 503,
      code: 'KEFU_SESSION_STORE_UNAVAILABLE',
      error: 'Service Unavailable',
      message: 'Session store unavailable, try again shortly'
    })
    t.notOk(res.body.includes('\n'), 'one line')
    t.notOk(res.body.includes('ECONNREFUSED'), 'no internals')
  }
  t.equal(browser.jar.size, 1, 'the cookie is kept for when the store is back')
  t.equal((await browser.get('/public')).statusCode, 200, 'routes without sessions keep working')
})

t.test('bad options stop registration with one line naming the option', async (t) => {
  const store = (await import('../src/index.js')).createMemoryStore()
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ secret: 'short' }, /secret must be a string .* at least 32 characters/],
    [{ cookieName: '__Host-x' }, /cookieName must be a cookie token/],
    [{ cookieName: 'a b' }, /cookieName/],
    [{ idleTimeoutS: 0 }, /idleTimeoutS must be a positive integer number of seconds, got 0/],
    [{ absoluteTimeoutS: 1.5 }, /absoluteTimeoutS must be a positive integer/],
    [{ idleTimeoutS: 100, absoluteTimeoutS: 50 }, /idleTimeoutS \(100\) must not exceed absoluteTimeoutS \(50\)/],
    [{ secure: 'yes' }, /secure must be 'auto', true or false/],
    [{ store: undefined }, /store is required/]
  ]
  for (const [opts, message] of cases) {
    const app = Fastify()
    const err = await app.register(kefuSession, { store, secret: SECRET, cookieName: 'x', ...opts } as never).ready()
      .then(() => null, (e: unknown) => e)
    t.ok(err instanceof SessionConfigError, `${JSON.stringify(opts)} is refused`)
    t.match((err as Error).message, message)
    t.notMatch((err as Error).message, /\n/)
    await app.close()
  }
})
