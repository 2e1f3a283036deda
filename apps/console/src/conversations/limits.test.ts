import t from 'tap'
import { createMemoryRateLimiter } from '../common/rate-limit.js'
import { replyWindow, MESSAGE_WINDOW_MS, ENTER_WINDOW_MS } from './reply-window.js'
import { APPS, Agent, startConsoleSystem } from '../../test/helper.js'

t.test('reply windows: 5 within 48 h of a message, 2 within a minute of entering, exact at the edges', async (t) => {
  const msg = 1_000_000_000
  t.match(replyWindow({ now: msg + MESSAGE_WINDOW_MS - 1, lastInboundAt: msg, lastEnterAt: null, replies: [] }), { open: true, remaining: 5, reason: 'message' })
  t.match(replyWindow({ now: msg + MESSAGE_WINDOW_MS, lastInboundAt: msg, lastEnterAt: null, replies: [] }), { open: false, reason: 'closed' })
  t.match(replyWindow({ now: msg + 10, lastInboundAt: msg, lastEnterAt: null, replies: [msg - 1, msg + 1, msg + 2, msg + 3, msg + 4] }), { open: true, remaining: 1 }, 'replies before the message do not count')
  t.match(replyWindow({ now: msg + 10, lastInboundAt: msg, lastEnterAt: null, replies: [msg, msg + 1, msg + 2, msg + 3, msg + 4] }), { open: false, remaining: 0, reason: 'message' })
  t.match(replyWindow({ now: msg + ENTER_WINDOW_MS - 1, lastInboundAt: null, lastEnterAt: msg, replies: [msg + 1] }), { open: true, remaining: 1, reason: 'enter' })
  t.match(replyWindow({ now: msg + ENTER_WINDOW_MS, lastInboundAt: null, lastEnterAt: msg, replies: [] }), { open: false, reason: 'closed' })
  t.match(replyWindow({ now: msg, lastInboundAt: null, lastEnterAt: null, replies: [] }), { open: false, reason: 'closed' })
})

t.test('the in-process rate limiter counts per key and per window', async (t) => {
  let now = 0
  const limiter = createMemoryRateLimiter(2, 60_000, () => now)
  t.same((await limiter.hit('a')).allowed, true)
  t.same((await limiter.hit('a')).allowed, true)
  t.match(await limiter.hit('a'), { allowed: false, retryAfterS: 60 })
  t.same((await limiter.hit('b')).allowed, true, 'another key has its own count')
  now = 60_000
  t.same((await limiter.hit('a')).allowed, true, 'a new window')
})

t.test('replies beyond the per-agent rate get 429 with Retry-After, and nothing reaches WeChat', async (t) => {
  const sys = await startConsoleSystem(t, { label: 'console_limits', console: { repliesPerMinute: 3 } })
  const SAFE = APPS[0]!.appid
  const alice = new Agent()
  await alice.signIn(sys)
  const statuses: number[] = []
  for (let i = 0; i < 2; i++) {
    await sys.push(SAFE, 'text', { from: `o_rate_${i}_user` })
    for (let j = 0; j < 2; j++) statuses.push((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_rate_${i}_user/messages`, { type: 'text', text: `r${j}` })).status)
  }
  t.same(statuses, [201, 201, 201, 429])
  const limited = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_rate_0_user/messages`, { type: 'text', text: 'again' })
  t.equal(limited.status, 429)
  t.equal(limited.json().code, 'KEFU_CONSOLE_RATE_LIMITED')
  t.ok(Number(limited.headers.get('retry-after')) >= 1)
  t.equal(sys.fake.messages(SAFE).length, 3)
})
