// A real A and a real B over HTTP on one clock the test moves: a person who works only on B, up to the last moment
// before A's idle end, stays signed in at A and B; idle everywhere, both end.
import t from 'tap'
import { HttpClient, ShiftedClock, startSystem } from './helper.js'

const IDLE_S = 10
const CHECK_MS = 4000
const clock = new ShiftedClock()
const sys = await startSystem(t, {
  label: 'sync_idle',
  aHost: 'a.kefu.test',
  bHosts: ['b1.kefu.test'],
  auth: { now: clock.read, session: { secret: 'session-secret-for-the-idle-test-0123456789', idleTimeoutS: IDLE_S, absoluteTimeoutS: 600 } },
  sync: { now: clock.read, checkIntervalMs: CHECK_MS }
})
const { a, bs: [b] } = sys as typeof sys & { bs: [typeof sys.bs[0]] }

const BACKGROUND = { 'x-kefu-activity': 'background' }
const PERSON = { 'x-kefu-activity': 'person' }

t.test('activity on B one second before A\'s idle end, inside B\'s check interval: signed in at A and B after that end', async (t) => {
  const c = new HttpClient()
  await c.loginAtA(a)
  t.equal((await c.postTicketToB(b, await c.ticketFromA(a, b), await c.csrfFromB(b))).status, 200)
  const end = (await c.request(b, 'GET', '/sso/status', { headers: BACKGROUND })).json().expiresAt as number
  t.ok(end > clock.read() && end <= clock.read() + IDLE_S * 1000, 'A announced its idle end')

  clock.advance(end - 3000 - clock.read())
  t.equal((await c.request(b, 'GET', '/me', { headers: BACKGROUND })).status, 200, 'B asks A 3 s before the end (not activity)')
  clock.advance(2000)
  t.equal((await c.request(b, 'GET', '/me', { headers: PERSON })).status, 200, 'the person works on B 1 s before the end')
  clock.advance(2000)
  t.ok(clock.read() > end, 'past the end A had announced, before B\'s next check would have been due')
  t.equal((await c.request(b, 'GET', '/me', { headers: BACKGROUND })).status, 200, 'still signed in on B')
  t.equal((await c.request(a, 'GET', '/me', { headers: { accept: 'application/json' } })).status, 200, 'and at A (a request there is activity too)')
  const lastAtA = clock.read()

  // Nothing more anywhere: A's idle limit ends both.
  clock.advance(lastAtA + IDLE_S * 1000 - clock.read())
  t.equal((await c.request(b, 'GET', '/me', { headers: BACKGROUND })).status, 401, 'idle everywhere: signed out of B')
  t.equal((await c.request(a, 'GET', '/me', { headers: { accept: 'application/json' } })).status, 401, 'and of A')
})
