// End to end with the real clock and short limits: a session lives while it is used and dies when it is not,
// and the absolute limit ends it even while it is used. Short real waits; the assertions only use instants that
// are certain from the client's side of each request, so scheduling jitter cannot flip them.
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { SessionStore } from '../src/index.js'
import { Browser, buildApp, makeStore, STORE_KINDS, skipKind, testPrefix } from './helpers.js'

async function idleScenario (t: Test, store: SessionStore): Promise<void> {
  const app = await buildApp(t, { store, idleTimeoutS: 2, absoluteTimeoutS: 60 })
  const browser = new Browser(app)
  const start = Date.now()
  t.equal((await browser.post('/login', { id: 'rt-idle', username: 'idle' })).statusCode, 200)
  let last = Date.now()
  while (Date.now() - start < 3000) {
    await sleep(400)
    const res = await browser.get('/me')
    t.equal(res.statusCode, 200, `in use at +${Date.now() - start} ms`)
    t.equal(res.cookies[0]?.maxAge, 2, 'Max-Age rolls with the 2 s idle timeout')
    last = Date.now()
  }
  t.ok(last - start >= 3000, 'used for longer than the idle timeout')
  await sleep(2000 + 50 - (Date.now() - last))
  const res = await browser.get('/me')
  t.equal(res.statusCode, 401, 'gone after 2 s without use')
}

async function absoluteScenario (t: Test, store: SessionStore): Promise<void> {
  const app = await buildApp(t, { store, idleTimeoutS: 2, absoluteTimeoutS: 3 })
  // Max-Age is rounded down, so a browser drops the cookie up to 1 s before the absolute deadline; a client that
  // ignores Max-Age (curl, a thief) keeps sending it, and the server must still cut it off exactly.
  const browser = new Browser(app, {}, true)
  const before = Date.now()
  await browser.post('/login', { id: 'rt-abs', username: 'abs' })
  const after = Date.now()
  let lastCertainlyLive = 0
  for (;;) {
    await sleep(200)
    const sent = Date.now()
    const res = await browser.get('/me')
    const received = Date.now()
    if (received - before < 3000) {
      lastCertainlyLive = sent - after
      t.equal(res.statusCode, 200, `in use, +${received - before} ms`)
      const maxAge = res.cookies[0]?.maxAge ?? Number.POSITIVE_INFINITY
      t.ok(maxAge * 1000 <= after + 3000 - sent, `Max-Age ${maxAge} s stays within the absolute deadline`)
    } else if (sent - after >= 3000) {
      t.equal(res.statusCode, 401, `gone at the absolute limit although used every 200 ms (+${sent - after} ms)`)
      break
    }
  }
  t.ok(lastCertainlyLive > 2000, `still valid when used ${lastCertainlyLive} ms after login, past the 2 s idle timeout`)
}

for (const kind of STORE_KINDS) {
  t.test(`real time, 2 s idle and 3 s absolute (${kind} store)`, { skip: skipKind(kind) }, async (t) => {
    const { store } = await makeStore(t, kind, testPrefix('real-time-' + kind))
    await Promise.all([idleScenario(t, store), absoluteScenario(t, store)])
  })
}
