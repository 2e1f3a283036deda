import t from 'tap'
import { upsertAccount } from '@kefu/auth'
import { search } from './search.js'
import { compileQuery, documentTokens, normalize } from '@kefu/history'
import { APPS, Agent, PASSWORD, startConsoleSystem } from '../../test/helper.js'

const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]

t.test('tokens: bigrams of each run, the last character, any script; queries compile to the same lexemes', async (t) => {
  t.same(documentTokens('我要退款').sort(), ['我要', '要退', '退款', '款'].sort())
  t.same(documentTokens('订单号DD12').sort(), ['订单', '单号', '号', 'dd', 'd1', '12', 'dd1', 'd12', '2'].sort(), 'CJK and Latin runs apart; Latin and digits also by trigram')
  t.equal(normalize('ＲＥＦＵＮＤ １２３'), 'refund 123', 'full-width folded, lower case')
  t.same(compileQuery('退款'), { terms: ['退款'], tsquery: "'退款'", exact: true })
  t.same(compileQuery('款'), { terms: ['款'], tsquery: "'款':*", exact: true })
  t.same(compileQuery('申请退款 DD'), { terms: ['申请退款', 'dd'], tsquery: "'申请' & '请退' & '退款' & 'dd'", exact: false })
  t.same(compileQuery('20261'), { terms: ['20261'], tsquery: "'202' & '026' & '261'", exact: false }, 'digits by trigram')
  t.equal(compileQuery('?!。'), null, 'nothing to look for')
  t.equal(compileQuery("it's")?.exact, false, 'punctuation inside a term is rechecked')
})

t.test('search over every message, with filters, newest first, for the agent\'s mini programs only', async (t) => {
  const sys = await startConsoleSystem(t, { label: 'search', history: { catchUpLagMs: 0 } })
  await upsertAccount(sys.prisma, 'bob', PASSWORD, { N: 1024, r: 8, p: 1 })
  await sys.prisma.agentApp.create({ data: { username: 'bob', appId: PLAIN } })
  const base = Math.floor(Date.now() / 1000) - 3600
  const said: Array<[string, string, string]> = [
    [SAFE, 'o_refund_1', '你好，我要退款'],
    [SAFE, 'o_refund_1', '订单号 DD20261203001234 还没发货'],
    [SAFE, 'o_refund_2', '申请退款后多久到账？'],
    [SAFE, 'o_ship', 'When will my order ship? I may want a REFUND'],
    [PLAIN, 'o_plain', '退款退款'],
    [PLAIN, 'o_plain', 'ＤＤ２０２６ full-width order'],
    [SAFE, 'o_other', '谢谢，问题解决了']
  ]
  for (const [i, [appid, from, content]] of said.entries()) await sys.push(appid, 'text', { from, content, createTime: base + i * 60 })
  for (const deadline = Date.now() + 20_000; await sys.prisma.messageSearch.count() < said.length && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await sys.prisma.messageSearch.count(), said.length, 'every announced message indexed')

  const alice = new Agent()
  await alice.signIn(sys)
  const find = async (agent: Agent, query: string): Promise<any> => {
    const res = await agent.api(sys, 'GET', '/api/search?' + query)
    t.equal(res.status, 200, `${query}: ${res.text.slice(0, 200)}`)
    return res.json()
  }
  const texts = (body: any): string[] => body.results.map((r: any) => r.text)

  t.same(texts(await find(alice, 'q=' + encodeURIComponent('退款'))), ['退款退款', '申请退款后多久到账？', '你好，我要退款'], 'two characters of Chinese, newest first')
  t.same(texts(await find(alice, 'q=' + encodeURIComponent('申请退款'))), ['申请退款后多久到账？'], 'a longer phrase: every bigram, rechecked')
  t.same(texts(await find(alice, 'q=' + encodeURIComponent('款后'))), ['申请退款后多久到账？'], 'a substring across words')
  t.same(texts(await find(alice, 'q=refund')), ['When will my order ship? I may want a REFUND'], 'English, any case')
  t.same(texts(await find(alice, 'q=001234')), ['订单号 DD20261203001234 还没发货'], 'part of an order number')
  t.same(texts(await find(alice, 'q=dd2026')), ['ＤＤ２０２６ full-width order', '订单号 DD20261203001234 还没发货'], 'full-width text found by ASCII')
  t.same(texts(await find(alice, 'q=' + encodeURIComponent('退款 到账'))), ['申请退款后多久到账？'], 'every term must occur')
  t.same(texts(await find(alice, 'q=' + encodeURIComponent('退款发货'))), [], 'bigrams found apart are not a match')
  t.same(texts(await find(alice, `q=${encodeURIComponent('退款')}&openid=o_refund_1`)), ['你好，我要退款'], 'by openid')
  t.same(texts(await find(alice, `openid=o_refund_1`)), ['订单号 DD20261203001234 还没发货', '你好，我要退款'], 'filters alone list the messages')
  t.same(texts(await find(alice, `q=${encodeURIComponent('退款')}&appid=${PLAIN}`)), ['退款退款'], 'by mini program')
  const from = new Date((base + 60) * 1000).toISOString()
  const to = new Date((base + 3 * 60) * 1000).toISOString()
  t.same(texts(await find(alice, `from=${from}&to=${to}`)), ['申请退款后多久到账？', '订单号 DD20261203001234 还没发货'], 'by date range: from inclusive, to exclusive')

  await sys.prisma.conversation.update({ where: { appId_openid: { appId: SAFE, openid: 'o_refund_2' } }, data: { tags: ['vip'], status: 'resolved', assignee: 'alice' } })
  t.same(texts(await find(alice, `q=${encodeURIComponent('退款')}&tag=vip`)), ['申请退款后多久到账？'], 'by tag')
  t.same(texts(await find(alice, `q=${encodeURIComponent('退款')}&status=resolved`)), ['申请退款后多久到账？'], 'by status')
  t.same(texts(await find(alice, `q=${encodeURIComponent('退款')}&assignee=alice`)), ['申请退款后多久到账？'], 'by assignee')
  t.same(texts(await find(alice, `q=${encodeURIComponent('退款')}&appid=${SAFE}&assignee=`)), ['你好，我要退款'], 'unassigned')
  const hit = (await find(alice, `q=${encodeURIComponent('申请')}`)).results[0]
  t.match(hit, { direction: 'in', appId: SAFE, openid: 'o_refund_2', conversation: { status: 'resolved', tags: ['vip'], assignee: 'alice' } })

  // Replies are searched too, once the worker indexed the announced reply.
  const sent = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_ship/messages`, { type: 'text', text: '您的退款已经处理' })
  t.equal(sent.status, 201, sent.text)
  for (const deadline = Date.now() + 20_000; await sys.prisma.messageSearch.count({ where: { direction: 'out' } }) === 0 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(texts(await find(alice, `q=${encodeURIComponent('退款')}&direction=out`)), ['您的退款已经处理'], 'agents\' replies, by direction')

  // Pages: no duplicates, nothing lost.
  const first = await find(alice, `q=${encodeURIComponent('退款')}&limit=2`)
  t.equal(first.results.length, 2)
  t.type(first.next, 'string')
  const second = await find(alice, `q=${encodeURIComponent('退款')}&limit=2&after=${first.next}`)
  t.same([...texts(first), ...texts(second)], texts(await find(alice, `q=${encodeURIComponent('退款')}`)), 'two pages are the whole list')

  // Both phases (the newest window, then the index) give the same answer.
  for (const q of ['退款', '001234', 'refund', '款']) {
    const a = await search(sys.prisma, { apps: [SAFE, PLAIN], text: q, limit: 10 })
    const b = await search(sys.prisma, { apps: [SAFE, PLAIN], text: q, limit: 10, recentWindow: 2 })
    t.equal(b.phase, q === '退款' || q === '款' ? b.phase : 'index', `${q}: the index phase ran`)
    t.same(b.hits.map((h) => h.item.key), a.hits.map((h) => h.item.key), `${q}: same results through the index`)
  }

  // Opening a result: the conversation around that message.
  const target = (await find(alice, 'q=001234')).results[0]
  const opened = await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_refund_1/around?key=${target.key}&each=1`)
  t.equal(opened.status, 200, opened.text)
  t.same(opened.json().messages.map((m: any) => m.text), ['你好，我要退款', '订单号 DD20261203001234 还没发货'])
  t.equal(opened.json().target, target.key)
  t.equal((await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_ship/around?key=${target.key}`)).status, 404, 'a message of another conversation')

  // Permissions: bob answers PLAIN only; mallory nothing.
  const bob = new Agent()
  await bob.signIn(sys, 'bob')
  t.same(texts(await find(bob, 'q=' + encodeURIComponent('退款'))), ['退款退款'], 'bob never sees the other mini program\'s rows')
  t.same(texts(await find(bob, 'openid=o_refund_1')), [], 'not by openid either')
  t.equal((await bob.api(sys, 'GET', `/api/search?q=x&appid=${SAFE}`)).status, 404, 'asking for it: as if absent')
  t.equal((await bob.api(sys, 'GET', `/api/conversations/${SAFE}/o_refund_1/around?key=${target.key}`)).status, 404)
  const mallory = new Agent()
  await mallory.signIn(sys, 'mallory')
  t.same((await find(mallory, 'q=' + encodeURIComponent('退款'))).results, [])

  // Bad input: one readable line, 400.
  for (const [query, why] of [
    ['q=' + encodeURIComponent('？！'), /letter, digit or character/],
    ['q=x&from=yesterday', /from must be a date/],
    ['q=x&from=2026-12-02&to=2026-12-01', /from must be before to/],
    ['q=x&after=zzz', /after must be/],
    ['q=' + 'x'.repeat(101), /must NOT have more than 100 characters/],
    ['q=x&status=closed', /must be equal to one of the allowed values/]
  ] as Array<[string, RegExp]>) {
    const res = await alice.api(sys, 'GET', '/api/search?' + query)
    t.equal(res.status, 400, query)
    t.match(res.json().message, why, query)
  }
})
