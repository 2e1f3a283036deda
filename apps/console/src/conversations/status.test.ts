import t from 'tap'
import { APPS, Agent, addAgent, openStream, signedIn, startConsoleSystem } from '../../test/helper.js'

const sys = await startConsoleSystem(t, { label: 'console_status', worker: { autoAssignSweepMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
await addAgent(sys, 'bob', [SAFE, PLAIN], { availability: 'online' })
await addAgent(sys, 'carol', [PLAIN])
const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => signedIn(sys, name))) as [Agent, Agent, Agent]
const path = (appid: string, openid: string, action = ''): string => `/api/conversations/${appid}/${openid}${action === '' ? '' : '/' + action}`
const row = (appId: string, openid: string) => sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId, openid } } })
const internal = async (agent: Agent, appid: string, openid: string) =>
  (await agent.api(sys, 'GET', path(appid, openid))).json().messages.filter((m: { direction: string }) => m.direction === 'internal')
const listed = async (agent: Agent, q: string): Promise<string[]> =>
  (await agent.api(sys, 'GET', '/api/conversations?limit=100&' + q)).json().conversations.map((c: { openid: string }) => c.openid)

t.test('open → pending → resolved, each change in the timeline; the views follow the status', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_status' })
  t.equal((await bob.api(sys, 'POST', path(SAFE, 'o_status', 'status'), { status: 'pending' })).json().conversation.status, 'pending')
  t.notOk((await listed(bob, 'status=open')).includes('o_status'), 'not among the open ones')
  t.ok((await listed(bob, 'status=pending')).includes('o_status'))
  const resolved = await bob.api(sys, 'POST', path(SAFE, 'o_status', 'status'), { status: 'resolved' })
  t.equal(resolved.status, 200)
  t.match(resolved.json().activities, [{ type: 'status', agent: 'bob', from: 'pending', to: 'resolved', cause: 'agent' }])
  t.ok((await listed(bob, 'status=resolved')).includes('o_status'))
  t.ok((await listed(bob, 'status=all')).includes('o_status'))
  t.same((await bob.api(sys, 'POST', path(SAFE, 'o_status', 'status'), { status: 'resolved' })).json().activities, [], 'the same status again: no entry')
  t.same((await internal(alice, SAFE, 'o_status')).map((e: { from: string, to: string }) => [e.from, e.to]), [['open', 'pending'], ['pending', 'resolved']])
  for (const body of [{}, { status: 'closed' }, { status: 5 }, { status: null }]) {
    const res = await bob.api(sys, 'POST', path(SAFE, 'o_status', 'status'), body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.notMatch(res.json().message, /\n/)
  }
  t.equal((await row(SAFE, 'o_status')).status, 'resolved', 'the refused ones changed nothing')
})

t.test('snooze: out of the open view until then; in the past, beyond 30 days or malformed is refused', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_snooze' })
  const until = Date.now() + 3_600_000
  const snoozed = await bob.api(sys, 'POST', path(SAFE, 'o_snooze', 'snooze'), { until })
  t.equal(snoozed.status, 200)
  t.equal(snoozed.json().conversation.snoozedUntil, until)
  t.match(snoozed.json().activities, [{ type: 'snooze', from: null, to: new Date(until).toISOString() }])
  t.notOk((await listed(bob, 'status=open')).includes('o_snooze'))
  t.ok((await listed(bob, 'status=snoozed')).includes('o_snooze'))
  for (const [body, message] of [
    [{ until: Date.now() - 1000 }, /in the future/],
    [{ until: Date.now() + 31 * 24 * 3600 * 1000 }, /30 days at most/],
    [{ until: 'tomorrow' }, /until/],
    [{ until: String(Date.now() + 7_200_000) }, /until/],
    [{}, /until/]
  ] as const) {
    const res = await bob.api(sys, 'POST', path(SAFE, 'o_snooze', 'snooze'), body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.match(res.json().message, message)
  }
  t.equal((await row(SAFE, 'o_snooze')).snoozedUntil?.getTime(), until, 'the refused ones changed nothing')
  const woken = await bob.api(sys, 'POST', path(SAFE, 'o_snooze', 'snooze'), { until: null })
  t.equal(woken.json().conversation.snoozedUntil, null)
  t.ok((await listed(bob, 'status=open')).includes('o_snooze'), 'back among the open ones')
})

t.test('a customer message reopens a resolved conversation and puts it before its assignee (online, still serving)', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_reopen_kept' })
  await bob.api(sys, 'POST', path(SAFE, 'o_reopen_kept', 'claim'))
  await bob.api(sys, 'POST', path(SAFE, 'o_reopen_kept', 'status'), { status: 'resolved' })
  const stream = await openStream(sys, bob)
  t.teardown(stream.close)
  await stream.nextOf('hello')
  await sys.push(SAFE, 'user_enter_tempsession', { from: 'o_reopen_kept' })
  t.equal((await row(SAFE, 'o_reopen_kept')).status, 'resolved', 'entering the chat is no message: still resolved')
  await sys.push(SAFE, 'text', { from: 'o_reopen_kept', content: '还有个问题' })
  const now = await row(SAFE, 'o_reopen_kept')
  t.equal(now.status, 'open', 'reopened in the statement that stored the message (acknowledged means reopened)')
  t.equal(now.assignee, 'bob')
  t.match((await stream.nextOf('message')).data, { event: 'user_enter_tempsession' })
  const live = await stream.nextOf('message')
  t.match(live.data, { text: '还有个问题', conversation: { status: 'open', assignee: 'bob' } }, 'the live message carries the new state')
  const change = await stream.nextOf('conversation')
  t.match(change.data, { conversation: { status: 'open', assignee: 'bob' }, activities: [{ type: 'status', cause: 'customer', from: 'resolved', to: 'open' }] })
  t.ok((await listed(bob, 'view=mine&status=open')).includes('o_reopen_kept'))
  const entries = await internal(bob, SAFE, 'o_reopen_kept')
  t.match(entries.at(-1), { type: 'status', cause: 'customer', from: 'resolved', to: 'open' })
})

t.test('reopened, but its assignee is away, offline or no longer serves it: back to unassigned', async (t) => {
  for (const [openid, makeUnavailable] of [
    ['o_reopen_away', async () => { await bob.api(sys, 'PUT', '/api/me/availability', { availability: 'away' }) }],
    ['o_reopen_off', async () => { await bob.api(sys, 'PUT', '/api/me/availability', { availability: 'offline' }) }],
    ['o_reopen_gone', async () => { await sys.prisma.agentApp.deleteMany({ where: { username: 'bob', appId: PLAIN } }) }]
  ] as const) {
    await bob.api(sys, 'PUT', '/api/me/availability', { availability: 'online' })
    await sys.prisma.agentApp.createMany({ data: [{ username: 'bob', appId: PLAIN }], skipDuplicates: true })
    await sys.push(PLAIN, 'text', { from: openid })
    await bob.api(sys, 'POST', path(PLAIN, openid, 'claim'))
    await bob.api(sys, 'POST', path(PLAIN, openid, 'status'), { status: 'pending' })
    await makeUnavailable()
    await sys.push(PLAIN, 'text', { from: openid, content: 'hello again' })
    const now = await row(PLAIN, openid)
    t.equal(now.status, 'open', openid)
    t.equal(now.assignee, null, `${openid}: unassigned`)
    const entries = await internal(carol, PLAIN, openid)
    t.match(entries.slice(-2), [{ type: 'status', cause: 'customer', from: 'pending', to: 'open' }, { type: 'assignment', cause: 'customer', from: 'bob', to: null }])
  }
  await sys.prisma.agentApp.createMany({ data: [{ username: 'bob', appId: PLAIN }], skipDuplicates: true })
  await bob.api(sys, 'PUT', '/api/me/availability', { availability: 'online' })
})

t.test('a customer message wakes a snoozed conversation; an open one stays as it is', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_wake' })
  await bob.api(sys, 'POST', path(SAFE, 'o_wake', 'snooze'), { until: Date.now() + 3_600_000 })
  await sys.push(SAFE, 'text', { from: 'o_wake', content: 'wake up' })
  t.equal((await row(SAFE, 'o_wake')).snoozedUntil, null)
  t.match((await internal(bob, SAFE, 'o_wake')).at(-1), { type: 'snooze', cause: 'customer', to: null })
  const before = await sys.prisma.conversationActivity.count({ where: { openid: 'o_wake' } })
  await sys.push(SAFE, 'text', { from: 'o_wake', content: 'still here' })
  t.equal(await sys.prisma.conversationActivity.count({ where: { openid: 'o_wake' } }), before, 'nothing to reopen, nothing written')
})

t.test('status and snooze refuse another mini program’s conversation (404, nothing changed)', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_not_carols_status' })
  for (const [action, body] of [['status', { status: 'resolved' }], ['snooze', { until: Date.now() + 60_000 }]] as const) {
    const res = await carol.api(sys, 'POST', path(SAFE, 'o_not_carols_status', action), body)
    t.equal(res.status, 404, action)
  }
  const now = await row(SAFE, 'o_not_carols_status')
  t.equal(now.status, 'open')
  t.equal(now.snoozedUntil, null)
})
