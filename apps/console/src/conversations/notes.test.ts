import t from 'tap'
import { APPS, Agent, addAgent, openedStream, signedIn, startConsoleSystem } from '../../test/helper.js'

const sys = await startConsoleSystem(t, { label: 'console_notes', worker: { autoAssignSweepMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
await addAgent(sys, 'bob', [SAFE])
await addAgent(sys, 'carol', [PLAIN])
const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => signedIn(sys, name))) as [Agent, Agent, Agent]
const notes = `/api/conversations/${SAFE}/o_notes/notes`

t.test('an internal note is for agents only: in the timeline, apart from replies, never sent to WeChat', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_notes', content: '我要退货' })
  sys.fake.clearRequests()
  const res = await alice.api(sys, 'POST', notes, { text: '  老客户，上次退过一次，先查订单  ' })
  t.equal(res.status, 201)
  t.match(res.json().activities, [{ direction: 'internal', type: 'note', text: '老客户，上次退过一次，先查订单', agent: 'alice' }])
  t.same(sys.fake.requests, [], 'WeChat heard nothing')
  t.equal(await sys.prisma.outboundMessage.count({ where: { openid: 'o_notes' } }), 0, 'no reply row either')
  const timeline = (await bob.api(sys, 'GET', `/api/conversations/${SAFE}/o_notes`)).json().messages
  t.same(timeline.map((m: { direction: string, type: string }) => [m.direction, m.type]), [['in', 'text'], ['internal', 'note']])
  // Replying still counts the window as before: a note is no reply.
  t.match((await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_notes`)).json().conversation.window, { open: true, remaining: 5 })
})

t.test('a note reaches colleagues of that mini program live, and no one else', async (t) => {
  const b = await openedStream(t, sys, bob)
  const c = await openedStream(t, sys, carol)
  await alice.api(sys, 'POST', notes, { text: '已电话联系' })
  t.match((await b.nextOf('conversation')).data, { changed: ['note'], activities: [{ type: 'note', text: '已电话联系', agent: 'alice' }] })
  await t.rejects(c.nextOf('conversation', 300), /no event in time/)
})

t.test('bad notes are refused with one line and nothing stored; another mini program’s conversation is 404', async (t) => {
  const before = await sys.prisma.conversationActivity.count()
  for (const body of [{}, { text: '' }, { text: '   \n ' }, { text: 'x'.repeat(2001) }, { text: 123 }, { text: ['a'] }, { text: true }]) {
    const res = await alice.api(sys, 'POST', notes, body)
    t.equal(res.status, 400, JSON.stringify(body).slice(0, 40))
    t.notMatch(res.json().message, /\n/)
  }
  // A wrong type is refused, not coerced (a note "123" would be stored otherwise).
  t.match((await alice.api(sys, 'POST', notes, { text: 123 })).json(), { statusCode: 400, message: 'body/text must be string' })
  const foreign = await carol.api(sys, 'POST', notes, { text: 'peek' })
  t.equal(foreign.status, 404)
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_nobody/notes`, { text: 'x' })).status, 404)
  t.equal(await sys.prisma.conversationActivity.count(), before)
})
