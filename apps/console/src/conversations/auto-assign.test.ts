import t from 'tap'
import { APPS, Agent, addAgent, openStream, startConsoleSystem, type EventStream } from '../../test/helper.js'

const real = process.env.DATABASE_URL !== undefined && process.env.REDIS_URL !== undefined
const sys = await startConsoleSystem(t, { label: 'console_auto_assign', worker: { autoAssignSweepMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
await addAgent(sys, 'ada', [PLAIN, SAFE], { role: 'admin' })
await addAgent(sys, 'bob', [PLAIN, SAFE], { availability: 'online' })
await addAgent(sys, 'carol', [PLAIN], { availability: 'online' })
await addAgent(sys, 'dave', [PLAIN], { availability: 'away' })
await addAgent(sys, 'erin', [PLAIN], { availability: 'offline' })
const signedIn = async (name: string): Promise<Agent> => { const a = new Agent(); await a.signIn(sys, name); return a }
const [ada, bob, dave] = await Promise.all(['ada', 'bob', 'dave'].map(signedIn)) as [Agent, Agent, Agent]
const watch = await openStream(sys, ada)
t.teardown(watch.close)
await watch.nextOf('hello')
const assignee = async (appId: string, openid: string): Promise<string | null> =>
  (await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId, openid } } })).assignee

/** The automatic assignment of `openid`, as the administrator's console hears of it (other events are skipped). */
async function assigned (openid: string, stream: EventStream = watch): Promise<string> {
  for (;;) {
    const e = await stream.nextOf('conversation', 5000)
    const a = e.data.activities.find((x: { type: string, cause: string }) => x.type === 'assignment' && x.cause === 'auto')
    if (a !== undefined && e.data.conversation.openid === openid) return a.to
  }
}
/** The live message of a push, with the state its conversation had once automatic assignment was done. */
async function messageOf (openid: string): Promise<{ assignee: string | null }> {
  for (;;) {
    const e = await watch.nextOf('message', 5000)
    if (e.data.openid === openid && e.data.type === 'text') return e.data.conversation
  }
}

t.test('off by default: new conversations stay unassigned', async (t) => {
  await sys.push(PLAIN, 'text', { from: 'o_auto_off' })
  t.equal((await messageOf('o_auto_off')).assignee, null)
  t.equal(await assignee(PLAIN, 'o_auto_off'), null)
})

t.test('round robin among online agents only, up to the cap each; the rest wait unassigned', async (t) => {
  t.equal((await ada.api(sys, 'PUT', `/api/apps/${PLAIN}/settings`, { autoAssign: 'round_robin', maxOpenPerAgent: 2 })).status, 200)
  // The waiting conversation from before goes first, as soon as the setting is on.
  t.equal(await assigned('o_auto_off'), 'bob')
  const got: string[] = []
  for (let i = 0; i < 4; i++) {
    await sys.push(PLAIN, 'text', { from: `o_rr_${i}` })
    const message = await messageOf(`o_rr_${i}`)
    got.push(message.assignee ?? 'nobody')
  }
  t.same(got, ['carol', 'bob', 'carol', 'nobody'], 'alternating, the live message already says whose; then everyone is at the cap of 2')
  t.equal(await sys.prisma.conversation.count({ where: { assignee: { in: ['dave', 'erin'] } } }), 0, 'away and offline agents get none')
  const [entry] = (await ada.api(sys, 'GET', `/api/conversations/${PLAIN}/o_rr_0`)).json().messages.filter((m: { direction: string }) => m.direction === 'internal')
  t.match(entry, { type: 'assignment', cause: 'auto', from: null, to: 'carol' }, 'in the timeline, as automatic')
})

t.test('an agent coming online takes what waits; a resolved conversation frees room under the cap', async (t) => {
  t.equal((await dave.api(sys, 'PUT', '/api/me/availability', { availability: 'online' })).status, 200)
  t.equal(await assigned('o_rr_3'), 'dave')
  await sys.push(PLAIN, 'text', { from: 'o_rr_4' })
  t.equal((await messageOf('o_rr_4')).assignee, 'dave')
  await sys.push(PLAIN, 'text', { from: 'o_rr_5' })
  t.equal((await messageOf('o_rr_5')).assignee, null, 'everyone online is at the cap')
  await bob.api(sys, 'POST', `/api/conversations/${PLAIN}/o_auto_off/status`, { status: 'resolved' })
  await sys.push(PLAIN, 'text', { from: 'o_rr_5', content: 'anyone?' })
  t.equal((await messageOf('o_rr_5')).assignee, 'bob', 'bob has room again')
})

t.test('a conversation released by hand stays unassigned until the customer writes again', async (t) => {
  await bob.api(sys, 'POST', `/api/conversations/${PLAIN}/o_rr_5/assign`, { to: null, from: 'bob' })
  await ada.api(sys, 'PUT', `/api/apps/${PLAIN}/settings`, { autoAssign: 'round_robin', maxOpenPerAgent: 10 })
  await sys.push(PLAIN, 'text', { from: 'o_rr_6' })
  t.ok((await messageOf('o_rr_6')).assignee !== null)
  t.equal(await assignee(PLAIN, 'o_rr_5'), null, 'the released one was passed over')
  await sys.push(PLAIN, 'text', { from: 'o_rr_5', content: 'hello?' })
  t.ok((await messageOf('o_rr_5')).assignee !== null, 'assigned once the customer wrote again')
})

t.test('two console instances relaying the same pushes assign each conversation once', { skip: !real && 'needs DATABASE_URL and REDIS_URL (embedded run)' }, async (t) => {
  await sys.startConsole()
  await ada.api(sys, 'PUT', `/api/apps/${SAFE}/settings`, { autoAssign: 'round_robin', maxOpenPerAgent: 100 })
  const openids = Array.from({ length: 10 }, (_, i) => `o_twice_${i}`)
  await Promise.all(openids.map((from) => sys.push(SAFE, 'text', { from })))
  const seen = new Map<string, string>()
  while (seen.size < openids.length) {
    const e = await watch.nextOf('message', 5000)
    if (e.data.appId === SAFE && e.data.conversation?.assignee !== null) seen.set(e.data.openid, e.data.conversation.assignee)
  }
  t.equal(await sys.prisma.conversationActivity.count({ where: { appId: SAFE, openid: { in: openids }, kind: 'assignment' } }), openids.length, 'one assignment each')
  t.same([...new Set(seen.values())], ['bob'], 'to the only online agent of SAFE')
})

t.test('an online agent whose consoles are all closed gets nothing automatically; an open console counts again', async (t) => {
  await ada.api(sys, 'PUT', `/api/apps/${PLAIN}/settings`, { autoAssign: 'round_robin', maxOpenPerAgent: 100 })
  const longAgo = new Date(Date.now() - 5 * 60_000)
  await sys.prisma.agent.updateMany({ where: { username: { in: ['bob', 'carol', 'dave'] } }, data: { connectedAt: longAgo } })
  await sys.push(PLAIN, 'text', { from: 'o_closed_1' })
  t.equal((await messageOf('o_closed_1')).assignee, null, 'still "online", but no console open: the conversation waits')
  const stream = await openStream(sys, bob)
  t.teardown(stream.close)
  await stream.nextOf('hello')
  const deadline = Date.now() + 5000
  while (((await sys.prisma.agent.findUniqueOrThrow({ where: { username: 'bob' } })).connectedAt ?? longAgo) <= longAgo) {
    if (Date.now() > deadline) throw new Error('the open stream did not record the connection')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await sys.push(PLAIN, 'text', { from: 'o_closed_1', content: 'still there?' })
  t.equal((await messageOf('o_closed_1')).assignee, 'bob', 'bob opened his console: it goes to him, not to carol or dave')
})

t.test('what waits without a push is assigned by the worker\'s sweep, and the consoles\' streams hear of it', async (t) => {
  // As if the push's announcement was missed: a waiting conversation no console was told about.
  const at = new Date()
  await sys.prisma.conversation.create({ data: { appId: PLAIN, openid: 'o_swept', lastMessageId: 1n, lastMessageAt: at, lastInboundAt: at } })
  t.equal(await assignee(PLAIN, 'o_swept'), null, 'waiting')
  t.ok(await sys.worker.app.assignmentSweep() >= 1, 'the sweep assigned it')
  t.equal(await assigned('o_swept'), 'bob', 'the stream says so, as automatic, to the open console of the only connected agent')
  t.equal(await assignee(PLAIN, 'o_swept'), 'bob')
})
