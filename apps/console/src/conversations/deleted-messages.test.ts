// A customer message with delete_time is gone for every view an agent has, at once, not only after the purge that
// removes its row: each view reads the same before and after the purge.
import t from 'tap'
import { APPS, Agent, addAgent, startConsoleSystem } from '../../test/helper.js'

const [SAFE] = APPS.map((a) => a.appid) as [string]
const GONE = '请删除这条'

t.test('a message with delete_time is gone from every view at once, as after the purge', async (t) => {
  const sys = await startConsoleSystem(t, { label: 'deleted', history: { catchUpLagMs: 0 } })
  await addAgent(sys, 'alice', [SAFE], { role: 'admin' })
  const alice = new Agent()
  await alice.signIn(sys)
  const startId = (await sys.prisma.customerMessage.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id.toString() ?? '0'

  // o_del: entered from a scene (deleted), wrote twice (the first kept, the last deleted); o_keep wrote once.
  const now = Math.floor(Date.now() / 1000) - 600
  await sys.push(SAFE, 'user_enter_tempsession', { from: 'o_del', createTime: now })
  await sys.push(SAFE, 'text', { from: 'o_del', content: `${GONE} 第一条`, createTime: now + 10 })
  await sys.push(SAFE, 'text', { from: 'o_del', content: '这条留着', createTime: now + 20 })
  await sys.push(SAFE, 'text', { from: 'o_del', content: `${GONE} 最后一条`, createTime: now + 30 })
  await sys.push(SAFE, 'text', { from: 'o_keep', content: '你好', createTime: now + 40 })
  await sys.worker.app.history.catchUp()
  const store = sys.console.app.consoleStore
  const rows = await sys.prisma.customerMessage.findMany({ where: { openid: 'o_del' }, orderBy: { id: 'asc' } })
  t.equal(rows.length, 4)
  const deleted = [rows[0]!, rows[1]!, rows[3]!]
  const kept = rows[2]!
  // How an operator removes messages on request (see history/retention.ts), and how retention marks old ones.
  await sys.prisma.customerMessage.updateMany({ where: { id: { in: deleted.map((r) => r.id) } }, data: { deleteTime: new Date() } })

  const get = async (path: string): Promise<any> => {
    const res = await alice.api(sys, 'GET', path)
    t.equal(res.status, 200, `${path}: ${res.text.slice(0, 200)}`)
    return res.headers.get('content-type')?.startsWith('text/csv') === true ? res.text : res.json()
  }
  const conversation = `/api/conversations/${SAFE}/o_del`
  const views = async (): Promise<Record<string, unknown>> => ({
    timeline: (await get(conversation)).messages,
    conversation: (({ window: _w, ...rest }) => rest)((await get(conversation)).conversation),
    list: (await get('/api/conversations?status=all')).conversations.map(({ window: _w, ...rest }: any) => rest),
    counts: await get('/api/counts'),
    customer: (await get(`${conversation}/customer`)).customer,
    search: (await get('/api/search?q=' + encodeURIComponent(GONE))).results,
    searchCustomer: (await get('/api/search?openid=o_del')).results,
    // A page holds `limit` messages that are there: the deleted ones take no place in it.
    searchPage: await get('/api/search?openid=o_del&limit=1'),
    searchTextPage: await get('/api/search?q=' + encodeURIComponent('这条') + '&limit=1'),
    around: (await get(`${conversation}/around?key=in-${kept.id}&each=5`)).messages,
    report: await get('/api/reports'),
    csv: await get('/api/reports.csv'),
    // What a console reconnecting after startId is sent (GET /api/events with Last-Event-ID), and live updates.
    catchUp: await store.inboundAfter(startId, APPS.map((a) => a.appid), 200),
    live: await store.inboundByIds(rows.map((r) => r.id.toString()), [SAFE])
  })
  const view: Record<string, any> = await views()

  const shown = JSON.stringify(view)
  t.notMatch(shown, GONE, 'the deleted text shows nowhere')
  t.same(view.timeline.map((m: any) => m.text), ['这条留着'], 'timeline: the kept message only')
  t.equal(view.conversation.last, null, 'the conversation\'s preview: its last message is gone')
  t.equal(view.list.find((c: any) => c.openid === 'o_del').last, null, 'and in the list')
  t.match(view.customer, { firstContactAt: Number(kept.wechatCreateTime) * 1000, messages: { inbound: 1 }, lastEntry: { sessionFrom: null } }, 'customer panel: first contact, count, entry scene without the deleted rows')
  t.same(view.search, [], 'search by the deleted text')
  t.same(view.searchCustomer.map((m: any) => m.text), ['这条留着'])
  t.match(view.searchPage, { results: [{ text: '这条留着' }], next: null }, 'a page of one: the kept message, and nothing after it')
  t.match(view.searchTextPage, { results: [{ text: '这条留着' }], next: null })
  t.same(view.around.map((m: any) => m.text), ['这条留着'], 'the conversation around a result')
  t.equal((await alice.api(sys, 'GET', `${conversation}/around?key=in-${deleted[2]!.id}`)).status, 404, 'a deleted message cannot be opened')
  t.match(view.report.apps.find((a: any) => a.day === null), { messagesIn: 2 }, 'reports count the kept messages (o_del\'s one, o_keep\'s one)')
  t.same(view.catchUp.map((m: any) => m.text), ['这条留着', '你好'], 'live catch-up')
  t.same(view.live.map((m: any) => m.text), ['这条留着'], 'live updates')

  const purged = await sys.worker.app.history.retention.run()
  t.match(purged, { messages: 3 }, 'the purge removes the three rows')
  const after: Record<string, any> = await views()
  for (const name of Object.keys(view)) t.same(after[name], view[name], `${name}: the same after the purge`)
})
