// Two apps, one Redis (the PHP shared-save-path lesson): different prefixes, cookie names and timeouts, the same
// secret and the same user. Neither reads, extends nor deletes the other's sessions. With the in-process store the
// two apps share one MemoryBackend, the way they would share a Redis.
import t from 'tap'
import { MemoryBackend } from '../src/index.js'
import { Browser, buildApp, FakeClock, makeStore, STORE_KINDS, skipKind, testPrefix } from './helpers.js'

const carol = { id: 'u-carol', username: 'carol' }

for (const kind of STORE_KINDS) {
  t.test(`${kind}: two apps on one store`, { skip: skipKind(kind) }, async (t) => {
    const base = testPrefix('namespaces-' + kind)
    const backend = new MemoryBackend()
    const a = await makeStore(t, kind, base + 'a:', backend)
    const b = await makeStore(t, kind, base + 'b:', backend)
    const clock = new FakeClock()
    const appA = await buildApp(t, { store: a.store, cookieName: 'a.sid', idleTimeoutS: 10, absoluteTimeoutS: 100, clock: clock.read })
    const appB = await buildApp(t, { store: b.store, cookieName: 'b.sid', idleTimeoutS: 60, absoluteTimeoutS: 600, clock: clock.read })

    async function loginBoth (): Promise<{ inA: Browser, inB: Browser }> {
      const inA = new Browser(appA)
      const inB = new Browser(appB)
      t.equal((await inA.post('/login', carol)).statusCode, 200)
      t.equal((await inB.post('/login', carol)).statusCode, 200)
      return { inA, inB }
    }

    t.test('a cookie of one app means nothing to the other, and the attempt changes nothing', async (t) => {
      const { inA, inB } = await loginBoth()
      const before = await appB.kefuSessions.listForUser(carol.id)
      clock.advance(5000)
      const crossed = new Browser(appA)
      crossed.jar.set('a.sid', inB.jar.get('b.sid') ?? '')
      t.equal((await crossed.get('/me')).statusCode, 401, "B's session id is unknown in A's namespace")
      const reverse = new Browser(appB)
      reverse.jar.set('b.sid', inA.jar.get('a.sid') ?? '')
      t.equal((await reverse.get('/me')).statusCode, 401, "and A's in B's")
      t.same(await appB.kefuSessions.listForUser(carol.id), before, "A's read did not extend (touch) B's session")
      t.equal((await inA.get('/me')).statusCode, 200)
    })

    t.test('A expires at its 10 s; B keeps its 60 s, and using B never extends A', async (t) => {
      const { inA, inB } = await loginBoth()
      clock.advance(9_999)
      t.equal((await inB.get('/me')).statusCode, 200)
      clock.advance(1)
      t.equal((await inA.get('/me')).statusCode, 401, 'A is gone at its own idle limit; B’s traffic did not extend it')
      clock.advance(50_000)
      t.equal((await inB.get('/me')).statusCode, 200, 'B outlives A, and A’s expiry did not delete it')
      clock.advance(59_999)
      t.equal((await inB.get('/me')).statusCode, 200)
      clock.advance(60_000)
      t.equal((await inB.get('/me')).statusCode, 401, 'B ends at its own limit')
    })

    t.test('logout and logout-all stay inside their app', async (t) => {
      const { inA, inB } = await loginBoth()
      const inA2 = new Browser(appA)
      await inA2.post('/login', carol)
      t.same((await inA.post('/logout-all')).json(), { ended: 2 })
      t.equal((await inA2.get('/me')).statusCode, 401)
      t.equal((await inB.get('/me')).statusCode, 200, "A's logout-all left B's session alone")
      t.equal((await inB.get('/sessions')).json().length, 1, 'B lists only its own sessions')
      const again = await loginBoth()
      await again.inB.post('/logout')
      t.equal((await again.inA.get('/me')).statusCode, 200, "B's logout left A's session alone")
    })

    if (a.redis !== undefined) {
      const redis = a.redis
      t.test('redis: every key lives under its app prefix', async (t) => {
        const keys: string[] = []
        for await (const batch of redis.scanIterator({ MATCH: base + '*', COUNT: 500 })) keys.push(...batch)
        t.ok(keys.some((k) => k.startsWith(base + 'a:s:')) && keys.some((k) => k.startsWith(base + 'b:s:')))
        t.ok(keys.every((k) => /^(a|b):(s|u):/.test(k.slice(base.length))), 'nothing outside a:… or b:…')
      })
    }
  })
}
