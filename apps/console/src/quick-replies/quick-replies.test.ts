import t from 'tap'
import { APPS, Agent, addAgent, openStream, signedIn, startConsoleSystem } from '../../test/helper.js'

const sys = await startConsoleSystem(t, { label: 'console_quick_replies', worker: { autoAssignSweepMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
await addAgent(sys, 'bob', [SAFE])
await addAgent(sys, 'ada', [SAFE], { role: 'admin' })
await addAgent(sys, 'carol', [PLAIN], { role: 'admin' })
const [bob, ada, carol] = await Promise.all(['bob', 'ada', 'carol'].map((name) => signedIn(sys, name))) as [Agent, Agent, Agent]
const list = async (agent: Agent, q = ''): Promise<Array<{ id: string, scope: string, shortcut: string, appId?: string }>> =>
  (await agent.api(sys, 'GET', '/api/quick-replies' + q)).json().quickReplies

t.test('administrators manage the shared quick replies of their mini programs; agents see them', async (t) => {
  const created = await ada.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: SAFE, shortcut: 'hours', text: '客服时间：每天 9:00–21:00' })
  t.equal(created.status, 201)
  t.match(created.json().quickReply, { scope: 'shared', appId: SAFE, shortcut: 'hours', createdBy: 'ada' })
  t.ok((await list(bob)).some((q) => q.shortcut === 'hours'), 'bob sees it')
  t.notOk((await list(carol)).some((q) => q.shortcut === 'hours'), 'an admin of another mini program does not')

  const byAgent = await bob.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: SAFE, shortcut: 'mine', text: 'x' })
  t.equal(byAgent.status, 403)
  t.match(byAgent.json(), { code: 'KEFU_CONSOLE_ADMIN_ONLY', message: 'only an administrator may manage shared quick replies of this mini program' })
  const elsewhere = await carol.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: SAFE, shortcut: 'x', text: 'x' })
  t.equal(elsewhere.status, 404, 'an admin of PLAIN cannot write to SAFE')
  const id = created.json().quickReply.id
  t.equal((await bob.api(sys, 'PUT', `/api/quick-replies/${id}`, { shortcut: 'hours', text: 'changed' })).status, 403)
  t.equal((await bob.api(sys, 'DELETE', `/api/quick-replies/${id}`)).status, 403)
  t.equal((await carol.api(sys, 'PUT', `/api/quick-replies/${id}`, { shortcut: 'hours', text: 'changed' })).status, 404, 'not even visible to carol')
  t.equal((await carol.api(sys, 'DELETE', `/api/quick-replies/${id}`)).status, 404)
  const edited = await ada.api(sys, 'PUT', `/api/quick-replies/${id}`, { shortcut: 'hours', text: '客服时间：每天 8:00–22:00' })
  t.equal(edited.status, 200)
  t.equal((await sys.prisma.quickReply.findUniqueOrThrow({ where: { id: BigInt(id) } })).text, '客服时间：每天 8:00–22:00')
})

t.test('personal quick replies belong to one agent', async (t) => {
  const mine = await bob.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: 'thanks', text: '感谢您的耐心等待' })
  t.equal(mine.status, 201)
  t.match(mine.json().quickReply, { scope: 'personal', owner: 'bob' })
  const id = mine.json().quickReply.id
  t.ok((await list(bob)).some((q) => q.id === id))
  t.notOk((await list(ada)).some((q) => q.id === id), 'not in a colleague’s list')
  t.equal((await ada.api(sys, 'PUT', `/api/quick-replies/${id}`, { shortcut: 'x', text: 'x' })).status, 404, 'not even an admin edits it')
  t.equal((await ada.api(sys, 'DELETE', `/api/quick-replies/${id}`)).status, 404)
  t.equal((await bob.api(sys, 'PUT', `/api/quick-replies/${id}`, { shortcut: 'thanks', text: '谢谢' })).status, 200)
  t.equal((await bob.api(sys, 'DELETE', `/api/quick-replies/${id}`)).status, 204)
  t.notOk((await list(bob)).some((q) => q.id === id))
})

t.test('one shortcut per scope; bad input refused with one line and nothing stored', async (t) => {
  const before = await sys.prisma.quickReply.count()
  const dup = await ada.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: SAFE, shortcut: 'hours', text: 'again' })
  t.equal(dup.status, 409)
  t.match(dup.json(), { code: 'KEFU_CONSOLE_DUPLICATE_SHORTCUT', message: 'a quick reply with the shortcut "hours" already exists there' })
  t.equal((await ada.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: 'hours', text: 'mine' })).status, 201, 'a personal one may share the shortcut')
  for (const body of [
    {}, { scope: 'shared', shortcut: 'x', text: 'x' }, { scope: 'team', shortcut: 'x', text: 'x' }, { scope: 'personal', shortcut: 'has space', text: 'x' },
    { scope: 'personal', shortcut: '', text: 'x' }, { scope: 'personal', shortcut: 'x'.repeat(33), text: 'x' }, { scope: 'personal', shortcut: 'x', text: '' },
    { scope: 'personal', shortcut: 'x', text: ' ' }, { scope: 'personal', shortcut: 'x', text: 'x'.repeat(2001) }, { scope: 'shared', appId: 'wx-bad', shortcut: 'x', text: 'x' }
  ]) {
    const res = await ada.api(sys, 'POST', '/api/quick-replies', body)
    t.equal(res.status, 400, JSON.stringify(body).slice(0, 60))
    t.notMatch(res.json().message, /\n/)
  }
  t.equal(await sys.prisma.quickReply.count(), before + 1)
  t.equal((await ada.api(sys, 'PUT', '/api/quick-replies/abc', { shortcut: 'x', text: 'x' })).status, 400)
  t.equal((await ada.api(sys, 'DELETE', '/api/quick-replies/999999')).status, 404)
  t.equal((await bob.api(sys, 'GET', `/api/quick-replies?appid=${PLAIN}`)).status, 404, 'another mini program’s list is refused')
  t.ok((await list(bob, `?appid=${SAFE}`)).some((q) => q.shortcut === 'hours'))
  t.ok((await list(bob, `?appid=${SAFE}`)).every((q) => q.scope === 'personal' || q.appId === SAFE))
  t.match((await ada.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: '中文', shortcut: 'x', text: 'x' })).json().message, /appId/)
  t.equal((await ada.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: '退货', text: '退货请点击订单页' })).status, 201, 'shortcuts in Chinese')
})

t.test('variables: {{customer.name}}, {{agent.name}} and {{mini_program.name}} are kept; any other {{…}} is refused with one line', async (t) => {
  const ok = await bob.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: 'hi', text: '{{customer.name}}您好，我是{{ agent.name }}（{{mini_program.name}}）' })
  t.equal(ok.status, 201)
  t.equal(ok.json().quickReply.text, '{{customer.name}}您好，我是{{ agent.name }}（{{mini_program.name}}）', 'stored as written')
  const before = await sys.prisma.quickReply.count()
  for (const text of ['Hello {{customer.nam}}', '{{ name }}', '{{}} hi', 'Dear {{customer.name}} and {{customer.phone}}']) {
    const res = await bob.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: 'bad', text })
    t.equal(res.status, 400, text)
    t.match(res.json(), { code: 'KEFU_CONSOLE_UNKNOWN_VARIABLE', message: /^unknown variable \{\{.*\}\} in the quick reply: use \{\{customer\.name\}\}, \{\{agent\.name\}\} or \{\{mini_program\.name\}\}$/ })
  }
  const edited = await bob.api(sys, 'PUT', `/api/quick-replies/${ok.json().quickReply.id}`, { shortcut: 'hi', text: '{{user}}' })
  t.equal(edited.status, 400, 'an edit too')
  t.equal(await sys.prisma.quickReply.count(), before, 'nothing stored')
  t.equal((await sys.prisma.quickReply.findUniqueOrThrow({ where: { id: BigInt(ok.json().quickReply.id) } })).text, '{{customer.name}}您好，我是{{ agent.name }}（{{mini_program.name}}）', 'nothing changed')
  t.equal((await bob.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: 'braces', text: 'a { b } {c}' })).status, 201, 'single braces are text')
})

t.test('changes to shared quick replies reach the mini program’s open consoles live', async (t) => {
  const s = await openStream(sys, bob)
  t.teardown(s.close)
  await s.nextOf('hello')
  await ada.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: SAFE, shortcut: 'ship', text: '今天发货' })
  t.match((await s.nextOf('quick-replies')).data, { appId: SAFE })
  const c = await openStream(sys, carol)
  t.teardown(c.close)
  await c.nextOf('hello')
  await ada.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: SAFE, shortcut: 'ship2', text: '明天发货' })
  await t.rejects(c.nextOf('quick-replies', 300), /no event in time/)
})
