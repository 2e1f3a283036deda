import t from 'tap'
import { APPS, openedStream, openStream, signedIn, startConsoleSystem, type SseEvent } from '../../test/helper.js'

const sys = await startConsoleSystem(t, { label: 'console_live', console: { sessionCheckMs: 200 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
await sys.prisma.agentApp.create({ data: { username: 'mallory', appId: PLAIN } })

t.test('pushes arrive on the live stream of agents of that mini program only, in order', async (t) => {
  const alice = await signedIn(sys)
  const mallory = await signedIn(sys, 'mallory')
  const a = await openStream(sys, alice)
  t.teardown(a.close)
  const m = await openStream(sys, mallory)
  t.teardown(m.close)
  t.match(await a.next(), { event: 'hello', data: { username: 'alice' } })
  t.match(await m.next(), { event: 'hello', data: { username: 'mallory', apps: [PLAIN] } })

  await sys.push(SAFE, 'text', { from: 'o_live_safe', content: 'first' })
  await sys.push(PLAIN, 'text', { from: 'o_live_plain', content: 'second' })
  const first = await a.next()
  t.match(first, { event: 'message', data: { appId: SAFE, openid: 'o_live_safe', text: 'first', direction: 'in' } })
  t.equal(first.id, first.data.id, 'the event id is the message id (for Last-Event-ID)')
  t.match(await a.next(), { event: 'message', data: { appId: PLAIN, text: 'second' } })
  t.match(await m.next(), { event: 'message', data: { appId: PLAIN, text: 'second' } }, 'mallory sees only her mini program')
  await t.rejects(m.next(300), /no event in time/, 'and nothing of the other')

  const reply = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_live_safe/messages`, { type: 'text', text: 'answer' })
  t.equal(reply.status, 201)
  t.match(await a.next(), { event: 'outbound', data: { status: 'sending', text: 'answer' } })
  t.match(await a.next(), { event: 'outbound', data: { status: 'sent', text: 'answer' } })
})

t.test('a reconnecting stream gets what it missed first (Last-Event-ID)', async (t) => {
  const alice = await signedIn(sys)
  const before = await openStream(sys, alice)
  const hello = await before.next()
  before.close()
  await sys.push(SAFE, 'text', { from: 'o_missed', content: 'missed 1' })
  await sys.push(SAFE, 'image', { from: 'o_missed' })
  const again = await openStream(sys, alice, sys.console, hello.id)
  t.teardown(again.close)
  // First, without an event id, what was stored in the few seconds before hello's message (the look behind, below).
  let first = await again.next()
  while (first.event === 'message' && first.id === undefined) first = await again.next()
  t.match(first, { event: 'message', data: { text: 'missed 1' } })
  // Its announcement arrives again while the stream is open (it was on its way when the stream opened): not resent.
  await sys.bus.publish('kefu:messages', JSON.stringify({ messages: [{ id: first.data.id, appId: SAFE, openid: 'o_missed' }] }))
  t.match(await again.next(), { event: 'message', data: { type: 'image', mediaId: 'media_demo_1' } })
  await sys.push(SAFE, 'text', { from: 'o_missed', content: 'live again' })
  // Whatever announcement of the replayed pushes was still on its way, each message comes once.
  t.match(await again.next(), { event: 'message', data: { text: 'live again' } })
})

t.test('resuming, a stream also gets a message that became visible after one it had, with a smaller id', async (t) => {
  // Two ingests commit side by side: an id drawn first can commit last. Here its ingest's announcement never came
  // (the console the stream was on died), so only the look behind Last-Event-ID can bring it.
  const alice = await signedIn(sys)
  const s = await openedStream(t, sys, alice)
  const drawn = (await sys.prisma.$queryRaw<Array<{ id: bigint }>>`SELECT nextval('customer_message_id_seq') AS id`)[0]!.id
  await sys.push(SAFE, 'text', { from: 'o_late', content: 'visible first' })
  const had = await s.next()
  t.match(had, { event: 'message', data: { text: 'visible first' } })
  s.close()
  await sys.prisma.customerMessage.create({
    data: {
      id: drawn, appId: SAFE, dedupeKey: 'm:late-commit-1', openid: 'o_late', toUsername: 'gh_late', fromUsername: 'o_late', msgType: 'text',
      msgInfo: JSON.stringify({ text: 'committed late' }), msgId: '990000000000000001', payload: '{}', format: 'json', wechatCreateTime: BigInt(Math.floor(Date.now() / 1000))
    }
  })
  t.ok(drawn < BigInt(had.id!), `its id ${drawn} is smaller than the one the stream had (${had.id})`)
  const again = await openStream(sys, alice, sys.console, had.id)
  t.teardown(again.close)
  const events: SseEvent[] = []
  for (let e = await again.next(); !(e.event === 'message' && e.data.id === drawn.toString()); e = await again.next()) events.push(e)
  t.pass('the late message is sent on resuming')
  t.notOk(events.some((e) => e.id !== undefined && BigInt(e.id) < BigInt(had.id!)), 'what is sent again carries no event id: Last-Event-ID stays')
})

t.test('logging out at A ends open streams, without the stream keeping the session alive', async (t) => {
  const alice = await signedIn(sys)
  const s = await openedStream(t, sys, alice)
  const logout = await alice.request(sys.a, 'POST', '/logout', { headers: { origin: sys.a.url, 'content-type': 'application/json' }, body: '{}' })
  t.ok(logout.status < 400, `logout at A: ${logout.status}`)
  t.match(await s.next(5000), { event: 'ended' }, 'the stream ends by itself')
  t.equal((await alice.api(sys, 'GET', '/api/me')).status, 401)
})

t.test('the A login ends without a back-channel call: open streams see it at their next check', async (t) => {
  const alice = await signedIn(sys)
  const s = await openedStream(t, sys, alice)
  const aliceId = (await sys.prisma.account.findUniqueOrThrow({ where: { username: 'alice' } })).id.toString()
  // Idle at A, the absolute cap, or a password reset whose back-channel call was lost: A's login is gone, B's
  // session is still there.
  t.ok(await sys.a.app.kefuSessions.destroyAllForUser(aliceId) >= 1)
  t.match(await s.next(8000), { event: 'ended' }, 'the stream checks A, not only its own session')
  t.equal((await alice.api(sys, 'GET', '/api/me')).status, 401)
})

t.test('an administrator changes an agent’s mini programs: the open stream narrows at once', async (t) => {
  const mallory = await signedIn(sys, 'mallory')
  const m = await openStream(sys, mallory)
  t.teardown(m.close)
  t.match(await m.next(), { event: 'hello', data: { apps: [PLAIN] } })
  await sys.prisma.agentApp.deleteMany({ where: { username: 'mallory', appId: PLAIN } })
  t.teardown(() => sys.prisma.agentApp.create({ data: { username: 'mallory', appId: PLAIN } }))
  t.match(await m.next(3000), { event: 'apps', data: { apps: [] } }, 'told within the check interval')
  await sys.push(PLAIN, 'text', { from: 'o_revoked', content: 'not for mallory any more' })
  await t.rejects(m.next(500), /no event in time/, 'nothing of the removed mini program arrives')
  await sys.prisma.agentApp.create({ data: { username: 'mallory', appId: SAFE } })
  t.teardown(() => sys.prisma.agentApp.deleteMany({ where: { username: 'mallory', appId: SAFE } }))
  t.match(await m.next(3000), { event: 'apps', data: { apps: [SAFE] } }, 'and widens when one is added')
  await sys.push(SAFE, 'text', { from: 'o_granted', content: 'now for mallory' })
  t.match(await m.next(), { event: 'message', data: { appId: SAFE, text: 'now for mallory' } })
})

// Last: it closes this file's console. After DRAIN_MS startService closes the app; open streams are told to reconnect
// (the browser's EventSource then reaches another instance through the load balancer) and end.
t.test('when the console closes, every open stream is told to reconnect, then ends', async (t) => {
  const alice = await signedIn(sys)
  const s = await openStream(sys, alice)
  t.teardown(s.close)
  t.match(await s.next(), { event: 'hello' })
  await sys.console.app.close()
  t.match(await s.next(), { event: 'reconnect', data: {} })
  await t.rejects(s.next(), /stream ended/, 'and the stream ends')
})
