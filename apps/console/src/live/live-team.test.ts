// Two console instances behind one address, on one PostgreSQL and one Redis: what an agent does on one reaches a
// colleague's stream on the other (Redis pub/sub), and so does a conversation a customer message reopened.
import t from 'tap'
import { APPS, Agent, addAgent, openStream, startConsoleSystem } from '../../test/helper.js'

const real = process.env.DATABASE_URL !== undefined && process.env.REDIS_URL !== undefined

t.test('changes on console #1 reach streams on console #2', { skip: !real && 'needs DATABASE_URL and REDIS_URL (embedded run)' }, async (t) => {
  const sys = await startConsoleSystem(t, { label: 'console_live_team', worker: { autoAssignSweepMs: 0 } })
  const second = await sys.startConsole()
  const SAFE = APPS[0]!.appid
  await addAgent(sys, 'bob', [SAFE], { availability: 'online' })
  const alice = new Agent()
  await alice.signIn(sys)
  const bob = new Agent()
  await bob.signIn(sys, 'bob')
  const onSecond = await openStream(sys, bob, second)
  t.teardown(onSecond.close)
  await onSecond.nextOf('hello')
  const path = `/api/conversations/${SAFE}/o_two`

  await sys.push(SAFE, 'text', { from: 'o_two' })
  t.match((await onSecond.nextOf('message')).data, { openid: 'o_two', conversation: { assignee: null, status: 'open' } })
  t.equal((await alice.api(sys, 'POST', path + '/claim')).status, 200)
  t.match((await onSecond.nextOf('conversation')).data, { conversation: { assignee: 'alice' }, changed: ['assignment'] })
  await alice.api(sys, 'POST', path + '/notes', { text: '查一下物流' })
  t.match((await onSecond.nextOf('conversation')).data, { changed: ['note'], activities: [{ type: 'note', text: '查一下物流' }] })
  await alice.api(sys, 'POST', path + '/assign', { to: 'bob', from: 'alice' })
  t.match((await onSecond.nextOf('conversation')).data, { conversation: { assignee: 'bob' } })
  await bob.request(second, 'POST', path + '/status', { headers: { 'content-type': 'application/json', origin: sys.console.url }, body: JSON.stringify({ status: 'resolved' }) })
  t.match((await onSecond.nextOf('conversation')).data, { conversation: { status: 'resolved' } })
  await alice.api(sys, 'PUT', '/api/me/availability', { availability: 'away' })
  t.match((await onSecond.nextOf('agent')).data, { username: 'alice', availability: 'away' })

  // The reopening is announced by every instance to its own streams, once each.
  await sys.push(SAFE, 'text', { from: 'o_two', content: '还在吗' })
  t.match((await onSecond.nextOf('message')).data, { text: '还在吗', conversation: { status: 'open', assignee: 'bob' } })
  t.match((await onSecond.nextOf('conversation')).data, { activities: [{ type: 'status', cause: 'customer', from: 'resolved', to: 'open' }] })
  await t.rejects(onSecond.nextOf('conversation', 500), /no event in time/, 'not twice')
})
