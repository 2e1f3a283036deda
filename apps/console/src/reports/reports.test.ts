import t from 'tap'
import { upsertAccount } from '@kefu/auth'
import type { PrismaClient } from '@kefu/db'
import { reportCsv, teamReport } from './reports.js'
import { APPS, Agent, PASSWORD, startConsoleSystem } from '../../test/helper.js'

const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
const D1 = '2026-11-02'
const D2 = '2026-11-03'
/** A China-time instant of D1/D2 as epoch ms. */
const at = (day: string, hm: string): number => Date.parse(`${day}T${hm}:00+08:00`)

let seq = 0
async function inbound (prisma: PrismaClient, appId: string, openid: string, ms: number, msgType = 'text'): Promise<void> {
  await prisma.customerMessage.create({
    data: { appId, dedupeKey: `m:r${++seq}`, openid, toUsername: 'gh_x', fromUsername: openid, msgType, msgInfo: msgType === 'text' ? '{"text":"hi"}' : '{"event":"user_enter_tempsession"}', payload: '{}', format: 'json', wechatCreateTime: BigInt(Math.floor(ms / 1000)) }
  })
}
async function reply (prisma: PrismaClient, appId: string, openid: string, agent: string, ms: number, failed?: number): Promise<void> {
  await prisma.outboundMessage.create({
    data: { appId, openid, agent, msgType: 'text', content: '{"msgtype":"text","text":{"content":"ok"}}', status: failed === undefined ? 'sent' : 'failed', errcode: failed ?? null, createdAt: new Date(ms) }
  })
}

t.test('reports: conversations, messages, first response and resolution times, blocked replies; admins only, their mini programs only', async (t) => {
  const sys = await startConsoleSystem(t, { label: 'reports', history: { catchUpLagMs: 0 } })
  const p = sys.prisma
  // SAFE, day 1: u1 writes twice, alice answers in 2 min and resolves it at 10:30; u1 writes again (a new
  // conversation: after the resolution), bob answers in 10 min; u2 is never answered; u3 writes at 23:30 and alice
  // answers the next day, 40 min later. Day 2: u1 again (25 hours later: a new conversation); WeChat refuses alice's
  // reply (45015) and the console refused two more.
  await inbound(p, SAFE, 'u1', at(D1, '10:00'))
  await inbound(p, SAFE, 'u1', at(D1, '10:01'))
  await inbound(p, SAFE, 'u1', at(D1, '09:59'), 'event')
  await reply(p, SAFE, 'u1', 'alice', at(D1, '10:02'))
  await p.conversationActivity.create({ data: { appId: SAFE, openid: 'u1', kind: 'status', actor: 'alice', fromValue: 'open', toValue: 'resolved', createdAt: new Date(at(D1, '10:30')) } })
  await inbound(p, SAFE, 'u1', at(D1, '11:00'))
  await reply(p, SAFE, 'u1', 'bob', at(D1, '11:10'))
  await inbound(p, SAFE, 'u2', at(D1, '12:00'))
  await inbound(p, SAFE, 'u3', at(D1, '23:30'))
  await reply(p, SAFE, 'u3', 'alice', at(D2, '00:10'))
  await inbound(p, SAFE, 'u1', at(D2, '12:00'))
  await reply(p, SAFE, 'u1', 'alice', at(D2, '12:05'), 45015)
  await p.replyBlockedHourly.create({ data: { hour: new Date(at(D2, '13:00')), appId: SAFE, agent: 'alice', reason: 'closed', count: 2 } })
  // PLAIN: u9 answered by carol in a minute. Outside the range: nothing counted.
  await inbound(p, PLAIN, 'u9', at(D1, '09:00'))
  await reply(p, PLAIN, 'u9', 'carol', at(D1, '09:01'))
  await inbound(p, SAFE, 'u4', at('2026-11-04', '00:00'))

  // Reports read customers' messages through the search index, which the history worker keeps.
  await sys.worker.app.history.catchUp()
  const r = await teamReport(p, { apps: [SAFE, PLAIN], from: D1, to: D2 })
  const row = (app: string, day: string | null) => r.apps.find((a) => a.appId === app && a.day === day)
  t.match(row(SAFE, null), {
    conversations: 5, messagesIn: 6, messagesOut: 3, unanswered: 2, blocked: 3,
    firstResponse: { count: 3, medianS: 600, p90S: 2040 },
    resolution: { count: 1, medianS: 1800, p90S: 1800 }
  }, 'SAFE over both days')
  t.match(row(SAFE, D1), { conversations: 4, messagesIn: 5, messagesOut: 2, unanswered: 1, blocked: 0, firstResponse: { count: 3, medianS: 600 } }, 'SAFE, day 1 (u3 started at 23:30 China time)')
  t.match(row(SAFE, D2), { conversations: 1, messagesIn: 1, messagesOut: 1, unanswered: 1, blocked: 3, firstResponse: { count: 0, medianS: null } }, 'SAFE, day 2')
  t.match(row(PLAIN, null), { conversations: 1, messagesIn: 1, messagesOut: 1, firstResponse: { medianS: 60 } })
  t.same(r.agents.map((a) => a.agent), ['alice', 'bob', 'carol'])
  t.match(r.agents[0], { messagesOut: 2, conversations: 2, firstResponse: { medianS: 1260 }, resolution: { count: 1, medianS: 1800 }, blocked: 3 })
  t.match(r.agents[1], { messagesOut: 1, conversations: 1, firstResponse: { medianS: 600 }, resolution: { count: 0 }, blocked: 0 })

  const csv = reportCsv(r)
  t.ok(csv.startsWith('\ufeffscope,mini_program_or_agent,day,'), 'UTF-8 BOM and a header')
  t.match(csv, `mini_program_total,${SAFE},${D1}..${D2},5,6,3,600,2040,2,1,1800,1800,3\r\n`)
  t.match(csv, `agent,alice,${D1}..${D2},2,,2,1260,`)

  // Over HTTP: admins only; each sees only their mini programs' rows.
  await upsertAccount(p, 'dave', PASSWORD, { N: 1024, r: 8, p: 1 })
  await p.agentApp.create({ data: { username: 'dave', appId: PLAIN } })
  await p.agent.createMany({ data: [{ username: 'alice', role: 'admin' }, { username: 'dave', role: 'admin' }] })
  const alice = new Agent()
  await alice.signIn(sys)
  const json = await alice.api(sys, 'GET', `/api/reports?from=${D1}&to=${D2}`)
  t.equal(json.status, 200, json.text)
  t.same(json.json(), JSON.parse(JSON.stringify(r)), 'the same report')
  t.equal(json.headers.get('cache-control'), 'no-store')
  const file = await alice.api(sys, 'GET', `/api/reports.csv?from=${D1}&to=${D2}&appid=${PLAIN}`)
  t.equal(file.status, 200)
  t.match(file.headers.get('content-type'), /^text\/csv; charset=utf-8/)
  t.match(file.headers.get('content-disposition'), /attachment; filename="kefu-report-2026-11-02-2026-11-03.csv"/)
  t.notMatch(file.text, SAFE, 'one mini program asked for: the other is not in the file')
  const page = await alice.request(sys.console, 'GET', `/reports?from=${D1}&to=${D2}`, { headers: { 'accept-language': 'en' } })
  t.equal(page.status, 200)
  t.match(page.text, /<svg viewBox="0 0 360 220" role="img"/, 'charts drawn on the server')
  t.match(page.text, /Team reports/)
  t.match(page.text, new RegExp(`<th scope="row">${SAFE}</th><td>Total</td><td>5</td><td>6</td><td>3</td><td>10m00s</td><td>34m00s</td>`), 'the table beside the charts')
  const zh = await alice.request(sys.console, 'GET', `/reports?from=${D1}&to=${D2}`)
  t.match(zh.text, /团队报表/, 'Chinese by default')

  const dave = new Agent()
  await dave.signIn(sys, 'dave')
  const daves = (await dave.api(sys, 'GET', `/api/reports?from=${D1}&to=${D2}`)).json()
  t.same(daves.apps.map((a: any) => a.appId), [PLAIN, PLAIN], 'dave: his mini program only (a day and the total)')
  t.same(daves.agents.map((a: any) => a.agent), ['carol'], 'and only the agents who worked on it')
  t.equal((await dave.api(sys, 'GET', `/api/reports?appid=${SAFE}`)).status, 404, 'another mini program: as if absent')
  const mallory = new Agent()
  await mallory.signIn(sys, 'mallory')
  const refused = await mallory.api(sys, 'GET', `/api/reports?from=${D1}&to=${D2}`)
  t.equal(refused.status, 403)
  t.match(refused.json(), { code: 'KEFU_CONSOLE_FORBIDDEN', message: 'reports are for administrators' })
  t.equal((await mallory.request(sys.console, 'GET', '/reports')).status, 403, 'the page too')
  t.equal((await new Agent().request(sys.console, 'GET', '/reports')).status, 303, 'signed out: to the sign-in')

  for (const [query, why] of [
    ['from=2026-13-01', /from must be a day written 2026-12-01/],
    ['from=2026-11-05&to=2026-11-01', /from must not be after to/],
    ['from=2024-01-01&to=2026-01-01', /at most 366 days/],
    ['to=yesterday', /to must be a day/]
  ] as Array<[string, RegExp]>) {
    const res = await alice.api(sys, 'GET', '/api/reports?' + query)
    t.equal(res.status, 400, query)
    t.match(res.json().message, why)
  }
  t.equal((await alice.request(sys.console, 'GET', '/reports?from=2026-13-01')).status, 400, 'the page says it in one line')
})

t.test('the team’s time zone: an owner or administrator sets it (checked with Intl), reports count days in it and say so', async (t) => {
  const sys = await startConsoleSystem(t, { label: 'reports_zone', history: { catchUpLagMs: 0 } })
  const p = sys.prisma
  // 20:30 UTC on D2 is already D2 + 1 in China, still D2 in UTC, D2 at 12:30 in Los Angeles.
  await inbound(p, SAFE, 'z1', Date.parse(`${D2}T20:30:00Z`))
  await reply(p, SAFE, 'z1', 'alice', Date.parse(`${D2}T20:35:00Z`))
  await p.agent.createMany({ data: [{ username: 'alice', role: 'admin' }, { username: 'mallory', role: 'agent' }] })
  const alice = new Agent()
  await alice.signIn(sys)
  const mallory = new Agent()
  await mallory.signIn(sys, 'mallory')
  const days = async (): Promise<unknown> => (await alice.api(sys, 'GET', `/api/reports?from=${D2}&to=2026-11-04&appid=${SAFE}`)).json().apps
    .filter((r: { day: string | null }) => r.day !== null).map((r: { day: string, messagesIn: number, conversations: number }) => [r.day, r.messagesIn, r.conversations])

  t.same((await alice.api(sys, 'GET', '/api/team/settings')).json(), { settings: { timeZone: 'Asia/Shanghai' } }, 'China time unless changed')
  t.same(await days(), [['2026-11-04', 1, 1]], 'in China it is the next day')
  t.match((await alice.api(sys, 'GET', `/reports?from=${D2}&to=2026-11-04`)).text, /（时区：Asia\/Shanghai）/, 'the page says which zone')

  for (const [zone, want] of [['UTC', 'UTC'], ['america/los_angeles', 'America/Los_Angeles']]) {
    const res = await alice.api(sys, 'PUT', '/api/team/settings', { timeZone: zone })
    t.same(res.json(), { settings: { timeZone: want } }, `${zone}: as Intl spells it`)
    t.same(await days(), [[D2, 1, 1]], `${want}: still ${D2}`)
  }
  t.match((await alice.api(sys, 'GET', `/reports?from=${D2}&to=2026-11-04`)).text, /（时区：America\/Los_Angeles）/)

  for (const body of [{ timeZone: 'Mars/Olympus' }, { timeZone: '' }, { timeZone: 'UTC; DROP TABLE x' }, { timeZone: 'UTC', extra: 1 }, {}]) {
    const bad = await alice.api(sys, 'PUT', '/api/team/settings', body)
    t.equal(bad.status, 400, JSON.stringify(body))
    t.notMatch(bad.json().message, /\n/)
  }
  const refused = await mallory.api(sys, 'PUT', '/api/team/settings', { timeZone: 'UTC' })
  t.equal(refused.status, 403, 'an agent may not change it')
  t.equal((await p.teamSetting.findUniqueOrThrow({ where: { id: 1 } })).timeZone, 'America/Los_Angeles', 'nothing stored when refused')
  t.same((await mallory.api(sys, 'GET', '/api/team/settings')).json(), { settings: { timeZone: 'America/Los_Angeles' } }, 'every agent reads it')
})
