// The liveness cache against a stand-in for A's /sso/check whose answers the test releases one by one, so that the
// order of a check in flight and a request that shares it is exact.
import t from 'tap'
import type { AuthClient } from '../src/auth-client.js'
import { LivenessCache } from '../src/liveness.js'
import type { LoginState } from '../src/protocol.js'

const IDLE_MS = 30_000
const CAP_MS = 600_000
const INTERVAL_MS = 4000
const REPORT_MS = 3000

interface Call { activeAt: number | undefined, answer: () => void }

function standInA (clock: { now: number }): { auth: AuthClient, calls: Call[], lastSeen: () => number } {
  const created = clock.now
  let lastSeen = clock.now
  const calls: Call[] = []
  const check = async (_sub: string, _sid: string, activeAt?: number): Promise<LoginState> => {
    await new Promise<void>((resolve) => { calls.push({ activeAt, answer: resolve }) })
    if (clock.now >= Math.min(lastSeen + IDLE_MS, created + CAP_MS)) return { active: false }
    if (activeAt !== undefined) lastSeen = Math.max(lastSeen, Math.min(activeAt, clock.now))
    return { active: true, expiresAt: Math.min(lastSeen + IDLE_MS, created + CAP_MS), capAt: created + CAP_MS, idleMs: IDLE_MS, now: clock.now }
  }
  return { auth: { check } as unknown as AuthClient, calls, lastSeen: () => lastSeen }
}

async function nextCall (calls: Call[], count: number): Promise<Call> {
  const deadline = Date.now() + 5000
  while (calls.length < count) {
    if (Date.now() > deadline) throw new Error(`A was not asked (call ${count})`)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return calls[count - 1]!
}

t.test('activity that shares a check already on its way to A, near A\'s idle end, is reported at once after it', async (t) => {
  const clock = { now: 1_790_000_000_000 }
  const a = standInA(clock)
  const cache = new LivenessCache(a.auth, INTERVAL_MS, REPORT_MS, () => clock.now)
  t.teardown(() => { cache.close() })

  clock.now += IDLE_MS - 2000
  const background = cache.state('1', 'sid', undefined)
  const first = await nextCall(a.calls, 1)
  t.equal(first.activeAt, undefined, 'a background check is on its way to A (not activity)')
  const clicked = clock.now
  const click = cache.state('1', 'sid', clicked)
  first.answer()
  t.match(await background, { active: true })
  t.match(await click, { active: true }, 'the click shared that check, which did not carry it')

  const second = await nextCall(a.calls, 2)
  t.equal(second.activeAt, clicked, 'the click goes to A by itself, at once: the end is nearer than the interval')
  second.answer()
  const deadline = Date.now() + 5000
  while (a.lastSeen() !== clicked && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
  t.equal(a.lastSeen(), clicked, 'A moved the login\'s last-seen to it')
  clock.now += 3000
  t.match(await cache.state('1', 'sid', undefined), { active: true, expiresAt: clicked + IDLE_MS }, 'past the end A had announced, the login lives on')
})

t.test('far from A\'s end, activity waits for the interval: one call per interval, not one per click', async (t) => {
  const clock = { now: 1_790_000_000_000 }
  const a = standInA(clock)
  const cache = new LivenessCache(a.auth, INTERVAL_MS, REPORT_MS, () => clock.now)
  t.teardown(() => { cache.close() })
  const asked = cache.state('1', 'sid', undefined)
  ;(await nextCall(a.calls, 1)).answer()
  await asked
  for (let i = 0; i < 3; i++) {
    clock.now += 1000
    t.match(await cache.state('1', 'sid', clock.now), { active: true, expiresAt: clock.now + IDLE_MS }, 'B projects the activity A has not heard of yet')
  }
  t.equal(a.calls.length, 1, 'A was not asked again inside the interval')
})
