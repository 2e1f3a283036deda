import t from 'tap'
import { APPS, Agent, addAgent, openStream, signedIn, startConsoleSystem } from '../../test/helper.js'

const sys = await startConsoleSystem(t, { label: 'console_assignment', worker: { autoAssignSweepMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
// alice serves every mini program; bob SAFE and PLAIN; carol PLAIN only; ada administers SAFE and PLAIN.
await addAgent(sys, 'bob', [SAFE, PLAIN])
await addAgent(sys, 'carol', [PLAIN])
await addAgent(sys, 'ada', [SAFE, PLAIN], { role: 'admin' })
const [alice, bob, carol, ada, mallory] = await Promise.all(['alice', 'bob', 'carol', 'ada', 'mallory'].map((name) => signedIn(sys, name))) as [Agent, Agent, Agent, Agent, Agent]
const path = (appid: string, openid: string, action = ''): string => `/api/conversations/${appid}/${openid}${action === '' ? '' : '/' + action}`
const timelineOf = async (agent: Agent, appid: string, openid: string) =>
  (await agent.api(sys, 'GET', path(appid, openid))).json().messages.filter((m: { direction: string }) => m.direction === 'internal')

t.test('a new conversation is unassigned; an agent claims it; the timeline says who, when, from and to', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_claim_1', content: '有人吗' })
  const before = (await alice.api(sys, 'GET', path(SAFE, 'o_claim_1'))).json().conversation
  t.equal(before.assignee, null)
  t.equal(before.status, 'open')
  const started = Date.now()
  const claimed = await alice.api(sys, 'POST', path(SAFE, 'o_claim_1', 'claim'))
  t.equal(claimed.status, 200)
  t.equal(claimed.json().conversation.assignee, 'alice')
  const [entry] = await timelineOf(bob, SAFE, 'o_claim_1')
  t.match(entry, { direction: 'internal', type: 'assignment', cause: 'agent', agent: 'alice', from: null, to: 'alice' })
  t.ok(entry.at >= started - 1000 && entry.at <= Date.now() + 1000, 'with the time it happened')
  const again = await alice.api(sys, 'POST', path(SAFE, 'o_claim_1', 'claim'))
  t.equal(again.status, 200, 'claiming one’s own conversation again changes nothing')
  t.same(again.json().activities, [])
  t.equal((await timelineOf(alice, SAFE, 'o_claim_1')).length, 1)
})

t.test('two agents claim at once: exactly one wins, the other is told who did', async (t) => {
  for (let round = 0; round < 5; round++) {
    const openid = `o_race_${round}`
    await sys.push(SAFE, 'text', { from: openid })
    const [a, b] = await Promise.all([alice.api(sys, 'POST', path(SAFE, openid, 'claim')), bob.api(sys, 'POST', path(SAFE, openid, 'claim'))])
    const statuses = [a.status, b.status].sort()
    t.same(statuses, [200, 409], `round ${round}: one 200, one 409`)
    const winner = a.status === 200 ? 'alice' : 'bob'
    const loser = a.status === 200 ? b : a
    t.match(loser.json(), { code: 'KEFU_CONSOLE_ALREADY_ASSIGNED', assignee: winner })
    t.match(loser.json().message, new RegExp(`^${winner} is already answering`))
    const row = await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid } } })
    t.equal(row.assignee, winner)
    t.equal(await sys.prisma.conversationActivity.count({ where: { appId: SAFE, openid, kind: 'assignment' } }), 1, 'one change recorded')
  }
})

t.test('hand-over to a colleague who serves the mini program, then release; the wrong ones are refused', async (t) => {
  await sys.push(PLAIN, 'text', { from: 'o_hand' })
  t.equal((await alice.api(sys, 'POST', path(PLAIN, 'o_hand', 'claim'))).status, 200)

  const notServing = await alice.api(sys, 'POST', path(SAFE, 'o_claim_1', 'assign'), { to: 'carol', from: 'alice' })
  t.equal(notServing.status, 400)
  t.match(notServing.json(), { code: 'KEFU_CONSOLE_NOT_AN_AGENT_OF_APP', message: 'carol does not serve this mini program' })
  const nobody = await alice.api(sys, 'POST', path(PLAIN, 'o_hand', 'assign'), { to: 'nobody-here', from: 'alice' })
  t.equal(nobody.status, 400)
  const notTheirs = await bob.api(sys, 'POST', path(PLAIN, 'o_hand', 'assign'), { to: 'bob', from: 'alice' })
  t.equal(notTheirs.status, 403, 'bob cannot take alice’s conversation')
  t.match(notTheirs.json(), { code: 'KEFU_CONSOLE_NOT_YOURS', message: 'only alice or an administrator may hand this conversation over or release it' })
  const stale = await alice.api(sys, 'POST', path(PLAIN, 'o_hand', 'assign'), { to: 'carol', from: null })
  t.equal(stale.status, 409, 'alice believing it unassigned is told it is hers')
  t.equal(stale.json().assignee, 'alice')
  for (const body of [{ to: 'carol' }, { from: 'alice' }, { to: 'bad name!', from: 'alice' }, { to: 42, from: 'alice' }]) {
    const res = await alice.api(sys, 'POST', path(PLAIN, 'o_hand', 'assign'), body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.notMatch(res.json().message, /\n/)
  }
  t.equal((await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: PLAIN, openid: 'o_hand' } } })).assignee, 'alice', 'nothing changed')

  const handed = await alice.api(sys, 'POST', path(PLAIN, 'o_hand', 'assign'), { to: 'carol', from: 'alice' })
  t.equal(handed.status, 200)
  t.equal(handed.json().conversation.assignee, 'carol')
  const released = await carol.api(sys, 'POST', path(PLAIN, 'o_hand', 'assign'), { to: null, from: 'carol' })
  t.equal(released.status, 200)
  t.equal(released.json().conversation.assignee, null)
  const adminTakes = await bob.api(sys, 'POST', path(PLAIN, 'o_hand', 'claim'))
  t.equal(adminTakes.status, 200)
  const byAdmin = await ada.api(sys, 'POST', path(PLAIN, 'o_hand', 'assign'), { to: 'carol', from: 'bob' })
  t.equal(byAdmin.status, 200, 'an administrator may move anyone’s conversation')
  t.same((await timelineOf(alice, PLAIN, 'o_hand')).map((e: { agent: string, from: string | null, to: string | null }) => [e.agent, e.from, e.to]), [
    ['alice', null, 'alice'], ['alice', 'alice', 'carol'], ['carol', 'carol', null], ['bob', null, 'bob'], ['ada', 'bob', 'carol']
  ], 'every change, in order')
})

t.test('views: mine, unassigned, all; filtered by mini program', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_view_mine' })
  await sys.push(PLAIN, 'text', { from: 'o_view_free' })
  await bob.api(sys, 'POST', path(SAFE, 'o_view_mine', 'claim'))
  const list = async (q: string) => (await bob.api(sys, 'GET', '/api/conversations?limit=100&' + q)).json().conversations.map((c: { openid: string }) => c.openid)
  const mine = await list('view=mine')
  t.ok(mine.includes('o_view_mine'))
  t.notOk(mine.includes('o_view_free'))
  t.ok(mine.every((o: string) => o !== 'o_claim_1'), 'not alice’s')
  const unassigned = await list('view=unassigned')
  t.ok(unassigned.includes('o_view_free'))
  t.notOk(unassigned.includes('o_view_mine'))
  const all = await list('view=all')
  t.ok(all.includes('o_view_free') && all.includes('o_view_mine') && all.includes('o_claim_1'))
  t.same(await list(`view=all&appid=${PLAIN}`), (await list('view=all')).filter((o: string) => ['o_hand', 'o_view_free'].includes(o)))
  const counts = (await bob.api(sys, 'GET', '/api/counts')).json()
  t.ok(counts.mine >= 1 && counts.unassigned >= 1)
  t.equal((await bob.api(sys, 'GET', '/api/conversations?view=theirs')).status, 400)
})

t.test('assignment reaches colleagues’ open consoles live', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_live_assign' })
  const stream = await openStream(sys, bob)
  t.teardown(stream.close)
  await stream.nextOf('hello')
  await alice.api(sys, 'POST', path(SAFE, 'o_live_assign', 'claim'))
  const e = await stream.nextOf('conversation')
  t.match(e.data, { conversation: { appId: SAFE, openid: 'o_live_assign', assignee: 'alice' }, changed: ['assignment'], activities: [{ type: 'assignment', agent: 'alice', to: 'alice' }] })
  const m = await openStream(sys, carol)
  t.teardown(m.close)
  await m.nextOf('hello')
  await alice.api(sys, 'POST', path(SAFE, 'o_live_assign', 'assign'), { to: 'bob', from: 'alice' })
  t.match((await stream.nextOf('conversation')).data.conversation, { assignee: 'bob' })
  await t.rejects(m.nextOf('conversation', 300), /no event in time/, 'carol, who does not serve SAFE, hears nothing')
})

t.test('every assignment endpoint refuses another mini program’s conversation (404, nothing changed)', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_not_carols' })
  for (const [who, agent] of [['carol', carol], ['mallory', mallory]] as const) {
    for (const [action, body] of [['claim', undefined], ['assign', { to: who, from: null }]] as const) {
      const res = await agent.api(sys, 'POST', path(SAFE, 'o_not_carols', action), body)
      t.equal(res.status, 404, `${who} ${action}`)
      t.notMatch(res.text, /o_not_carols/)
    }
  }
  const row = await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: 'o_not_carols' } } })
  t.equal(row.assignee, null)
  t.equal(await sys.prisma.conversationActivity.count({ where: { openid: 'o_not_carols' } }), 0)
  t.equal((await alice.api(sys, 'POST', path(SAFE, 'o_nobody_at_all', 'claim'))).status, 404, 'an absent conversation')
  t.same((await mallory.api(sys, 'GET', '/api/counts')).json(), { mine: 0, unassigned: 0, unread: 0 }, 'counts only of one’s own mini programs')
  t.same((await mallory.api(sys, 'GET', '/api/agents')).json().agents, [], 'and colleagues only there')
  t.notOk((await carol.api(sys, 'GET', '/api/conversations?view=unassigned&status=all&limit=100')).json().conversations.some((c: { appId: string }) => c.appId === SAFE), 'views only of one’s own')
})
