import t from 'tap'
import { APPS, Agent, addAgent, openStream, openedStream, signedIn, startConsoleSystem } from '../../test/helper.js'

const real = process.env.DATABASE_URL !== undefined && process.env.REDIS_URL !== undefined
const sys = await startConsoleSystem(t, { label: 'console_mentions', worker: { autoAssignSweepMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
await addAgent(sys, 'bob', [SAFE])
await addAgent(sys, 'bob.lee', [SAFE])
await addAgent(sys, 'carol', [PLAIN])
await addAgent(sys, 'dave', [SAFE])
const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => signedIn(sys, name))) as [Agent, Agent, Agent, Agent]
await sys.push(SAFE, 'text', { from: 'o_mention', content: '我的快递呢' })
const notes = `/api/conversations/${SAFE}/o_mention/notes`
const mentionsOf = async (name: string) => await sys.prisma.noteMention.findMany({ where: { agent: name }, orderBy: { id: 'asc' } })

t.test('each colleague named who serves the mini program is mentioned once; strangers, outsiders and the author are text', async (t) => {
  const b = await openedStream(t, sys, bob)
  const d = await openedStream(t, sys, dave)
  const c = await openedStream(t, sys, carol)
  const res = await alice.api(sys, 'POST', notes, { text: '@bob 请看 @bob, 还有 @bob.lee. 不是 @nobody @carol @alice 也不是 mail@dave' })
  t.equal(res.status, 201)
  const note = res.json().activities[0]
  const bobs = await mentionsOf('bob')
  t.match(bobs, [{ activityId: BigInt(note.key.slice('act-'.length)), appId: SAFE, openid: 'o_mention', by: 'alice', readAt: null }])
  t.equal(bobs.length, 1, 'bob once')
  t.equal((await mentionsOf('bob.lee')).length, 1, 'a name with a dot, before a full stop')
  t.same(await sys.prisma.noteMention.count({ where: { agent: { in: ['nobody', 'carol', 'alice', 'dave'] } } }), 0)

  t.match((await b.nextOf('mention')).data, { username: 'bob', appId: SAFE, unread: 1, mention: { id: bobs[0]!.id.toString(), by: 'alice', openid: 'o_mention', text: /^@bob 请看/ } })
  await t.rejects(d.nextOf('mention', 300), /no event in time/, 'dave was not mentioned (mail@dave is an address)')
  await t.rejects(c.nextOf('mention', 300), /no event in time/, 'carol does not serve the mini program')
})

t.test('the list and its unread count are the agent’s own; reading one is theirs alone', async (t) => {
  const list = (await bob.api(sys, 'GET', '/api/mentions')).json()
  t.match(list, { unread: 1, mentions: [{ by: 'alice', appId: SAFE, openid: 'o_mention', readAt: null, customer: null }] })
  t.equal(list.mentions.length, 1)
  t.same((await dave.api(sys, 'GET', '/api/mentions')).json(), { mentions: [], unread: 0 })
  const id = list.mentions[0].id

  const stolen = await dave.api(sys, 'POST', `/api/mentions/${id}/read`)
  t.equal(stolen.status, 404)
  t.equal(stolen.json().message, 'no such mention of yours')
  t.equal((await carol.api(sys, 'POST', `/api/mentions/${id}/read`)).status, 404)
  t.equal((await bob.api(sys, 'POST', '/api/mentions/987654321/read')).status, 404)
  t.equal((await mentionsOf('bob'))[0]!.readAt, null, 'still unread')

  const other = await openedStream(t, sys, bob)
  const read = await bob.api(sys, 'POST', `/api/mentions/${id}/read`)
  t.equal(read.status, 200)
  t.match(read.json(), { unread: 0, mention: { id, readAt: Number } })
  t.match((await other.nextOf('mention')).data, { username: 'bob', unread: 0, read: id }, 'bob’s other consoles hear of it')
  const at = (await mentionsOf('bob'))[0]!.readAt
  t.ok(at)
  t.equal((await bob.api(sys, 'POST', `/api/mentions/${id}/read`)).status, 200, 'again: no change')
  t.same((await mentionsOf('bob'))[0]!.readAt, at)
  t.match((await bob.api(sys, 'GET', '/api/mentions')).json(), { unread: 0, mentions: [{ id, readAt: at!.getTime() }] })
})

t.test('bad ids are 400 with one line; a note naming too many colleagues is refused whole', async (t) => {
  for (const id of ['abc', '0', '-1', '1.5', '9'.repeat(19), '01']) {
    const res = await bob.api(sys, 'POST', `/api/mentions/${id}/read`)
    t.equal(res.status, 400, id)
    t.notMatch(res.json().message, /\n/)
  }
  t.equal((await bob.api(sys, 'GET', '/api/mentions?limit=0')).status, 400)
  t.equal((await bob.api(sys, 'GET', '/api/mentions?limit=x')).status, 400)

  const many = Array.from({ length: 21 }, (_, i) => `agent${i}`)
  await sys.prisma.agentApp.createMany({ data: many.map((username) => ({ username, appId: SAFE })) })
  const notesBefore = await sys.prisma.conversationActivity.count()
  const mentionsBefore = await sys.prisma.noteMention.count()
  const res = await alice.api(sys, 'POST', notes, { text: many.map((n) => '@' + n).join(' ') })
  t.equal(res.status, 400)
  t.match(res.json(), { code: 'KEFU_CONSOLE_TOO_MANY_MENTIONS', message: 'a note may mention at most 20 colleagues; this one names 21' })
  t.equal(await sys.prisma.conversationActivity.count(), notesBefore, 'no note')
  t.equal(await sys.prisma.noteMention.count(), mentionsBefore, 'no mention')
  const twenty = await alice.api(sys, 'POST', notes, { text: many.slice(0, 20).map((n) => '@' + n).join(' ') })
  t.equal(twenty.status, 201)
  t.equal(await sys.prisma.noteMention.count(), mentionsBefore + 20)
})

t.test('an agent no longer serving the mini program no longer sees its mentions', async (t) => {
  await alice.api(sys, 'POST', notes, { text: '@dave 帮忙' })
  t.equal((await dave.api(sys, 'GET', '/api/mentions')).json().unread, 1)
  await sys.prisma.agentApp.delete({ where: { username_appId: { username: 'dave', appId: SAFE } } })
  t.same((await dave.api(sys, 'GET', '/api/mentions')).json(), { mentions: [], unread: 0 })
  const id = (await mentionsOf('dave'))[0]!.id
  t.equal((await dave.api(sys, 'POST', `/api/mentions/${id}/read`)).status, 404)
  await sys.prisma.agentApp.create({ data: { username: 'dave', appId: SAFE } })
})

t.test('mark all read: every unread mention of the agent, no one else’s; their other consoles hear of it', async (t) => {
  await alice.api(sys, 'POST', notes, { text: '@bob 一' })
  await alice.api(sys, 'POST', notes, { text: '@bob @dave 二' })
  const daveUnread = (await dave.api(sys, 'GET', '/api/mentions')).json().unread
  t.equal((await bob.api(sys, 'GET', '/api/mentions')).json().unread, 2)
  const other = await openedStream(t, sys, bob)
  const res = await bob.api(sys, 'POST', '/api/mentions/read')
  t.equal(res.status, 200)
  t.same(res.json(), { read: 2, unread: 0 })
  t.match((await other.nextOf('mention')).data, { username: 'bob', unread: 0, readAll: true })
  t.equal((await bob.api(sys, 'GET', '/api/mentions')).json().unread, 0)
  t.equal(await sys.prisma.noteMention.count({ where: { agent: 'bob', readAt: null } }), 0)
  t.equal((await dave.api(sys, 'GET', '/api/mentions')).json().unread, daveUnread, 'dave’s stay unread')
  t.same((await bob.api(sys, 'POST', '/api/mentions/read')).json(), { read: 0, unread: 0 }, 'again: nothing to read')
  await t.rejects(other.nextOf('mention', 300), /no event in time/, 'and nothing announced')
})

t.test('a mention made on console #1 reaches the agent’s stream on console #2', { skip: !real && 'needs DATABASE_URL and REDIS_URL (embedded run)' }, async (t) => {
  const second = await sys.startConsole()
  const onSecond = await openStream(sys, bob, second)
  t.teardown(onSecond.close)
  await onSecond.nextOf('hello')
  await alice.api(sys, 'POST', notes, { text: '@bob 第二台' })
  t.match((await onSecond.nextOf('mention')).data, { username: 'bob', mention: { text: '@bob 第二台', by: 'alice' } })
})
