import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { escapeHtml } from '@kefu/service'
import { pickLang, type Lang } from '@kefu/sso-client'
import { NoSuchApp } from '../common/errors.js'
import { sendFeaturePage } from '../common/page.js'
import { AdminsOnly, BadReport } from '../common/history-errors.js'
import { barChart, formatDuration, lineChart } from './report-charts.js'
import { TooSlow } from '../common/query-deadline.js'
import { reportCsv, teamReport, type Report } from './reports.js'
import type { Agent } from '../common/agent.js'
import { dayIn, teamTimeZone } from '../common/time-zone.js'

interface ReportQuery { from?: string, to?: string, appid?: string }

const query = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', maxLength: 10 },
    to: { type: 'string', maxLength: 10 },
    appid: { type: 'string', maxLength: 18 }
  }
} as const

const TEXT = {
  'zh-CN': {
    title: '团队报表', back: '返回工作台', from: '开始日期', to: '结束日期', app: '小程序', allApps: '全部小程序', show: '查看', csv: '导出 CSV',
    forbidden: '报表仅对管理员开放。', range: (f: string, t: string, zone: string) => `${f} 至 ${t}（时区：${zone}）`,
    volume: '每日会话与消息', volumeDesc: '每天新会话数、客户消息数和客服回复数',
    frt: '首次响应时间（每天）', frtDesc: '每天新会话的首次响应时间中位数与 P90', agentsChart: '每位客服的回复与会话', agentsDesc: '每位客服的回复条数与会话数',
    conversations: '会话', messagesIn: '客户消息', messagesOut: '客服回复', frtMedian: '首次响应中位数', frtP90: '首次响应 P90', unanswered: '未回复',
    resolved: '已解决', resMedian: '解决用时中位数', resP90: '解决用时 P90', blocked: '被窗口拦截的回复', day: '日期', total: '合计', agent: '客服',
    perApp: '按小程序', perAgent: '按客服', tables: '明细表', empty: '这段时间没有数据。',
    note: '会话：客户的一段对话（首次来信、距上一条超过 24 小时、或在“已解决”之后再次来信时开始）。首次响应：会话开始到第一条成功回复。被拦截：回复窗口关闭或条数用完时被拒绝的回复（工作台预先拦截，或微信返回 45015/45047）。'
  },
  en: {
    title: 'Team reports', back: 'Back to the console', from: 'From', to: 'To', app: 'Mini program', allApps: 'All mini programs', show: 'Show', csv: 'Export CSV',
    forbidden: 'Reports are for administrators.', range: (f: string, t: string, zone: string) => `${f} to ${t} (time zone: ${zone})`,
    volume: 'Conversations and messages per day', volumeDesc: 'New conversations, customer messages and agent replies per day',
    frt: 'First response time per day', frtDesc: 'Median and p90 first response time of each day’s new conversations', agentsChart: 'Replies and conversations per agent', agentsDesc: 'Replies each agent sent, and their conversations',
    conversations: 'Conversations', messagesIn: 'Customer messages', messagesOut: 'Agent replies', frtMedian: 'First response, median', frtP90: 'First response, p90', unanswered: 'Unanswered',
    resolved: 'Resolved', resMedian: 'Resolution, median', resP90: 'Resolution, p90', blocked: 'Replies blocked by the window', day: 'Day', total: 'Total', agent: 'Agent',
    perApp: 'Per mini program', perAgent: 'Per agent', tables: 'Tables', empty: 'No data in this period.',
    note: 'Conversation: one episode of a customer’s conversation (it starts with their first message, one more than 24 hours after the previous, or one after it was resolved). First response: from its start to the first reply delivered. Blocked: replies refused because WeChat’s reply window was closed or used up (by the console before calling WeChat, or by WeChat: 45015/45047).'
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/


function checkDay (name: string, value: string): string {
  const m = DAY.exec(value)
  const date = m === null ? NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (m === null || Number.isNaN(date) || new Date(date).toISOString().slice(0, 10) !== value) throw new BadReport(`${name} must be a day written 2026-12-01, got "${value}"`)
  return value
}

export interface ReportsRoutesOptions {
  now?: () => number
  /** How long a report may run (default REPORT_TIMEOUT_MS). */
  timeoutMs?: number
}

/**
 * Team reports for administrators (issue 10's agent.role = admin), over their own mini programs: GET /reports (the
 * page, charts drawn here as SVG), GET /api/reports (JSON), GET /api/reports.csv.
 */
export default async function reportsRoutes (fastify: FastifyInstance, opts: ReportsRoutesOptions): Promise<void> {
  const now = opts.now ?? Date.now

  async function isAdmin (username: string): Promise<boolean> {
    const rows = await fastify.prisma.$queryRawUnsafe<Array<{ role: string }>>('SELECT role FROM agent WHERE username = $1', username)
    return rows[0]?.role === 'admin'
  }

  async function range (agent: Agent, q: ReportQuery): Promise<{ apps: string[], from: string, to: string, timeZone: string }> {
    const timeZone = await teamTimeZone(fastify.prisma)
    const to = q.to === undefined || q.to === '' ? dayIn(now(), timeZone) : checkDay('to', q.to)
    const from = q.from === undefined || q.from === '' ? new Date(Date.parse(`${to}T12:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10) : checkDay('from', q.from)
    if (from > to) throw new BadReport('from must not be after to')
    if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) throw new BadReport('a report covers at most 366 days')
    if (q.appid !== undefined && q.appid !== '' && !agent.apps.includes(q.appid)) throw new NoSuchApp()
    return { apps: q.appid === undefined || q.appid === '' ? agent.apps : [q.appid], from, to, timeZone }
  }

  async function report (request: FastifyRequest<{ Querystring: ReportQuery }>): Promise<{ agent: Agent, report: Report }> {
    const agent = await request.agent()
    if (!await isAdmin(agent.username)) throw new AdminsOnly()
    return { agent, report: await teamReport(fastify.replica, await range(agent, request.query), opts.timeoutMs) }
  }

  fastify.get<{ Querystring: ReportQuery }>('/api/reports', { schema: { querystring: query } }, async function reportJson (request, reply) {
    const { report: r } = await report(request)
    return reply.header('cache-control', 'no-store').send(r)
  })

  fastify.get<{ Querystring: ReportQuery }>('/api/reports.csv', { schema: { querystring: query } }, async function reportCsvFile (request, reply) {
    const { report: r } = await report(request)
    return reply
      .header('cache-control', 'no-store')
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="kefu-report-${r.from}-${r.to}.csv"`)
      .send(reportCsv(r))
  })

  fastify.get('/reports/reports.css', async function reportsCss (_request, reply) {
    return reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'no-cache').send(CSS)
  })

  fastify.get<{ Querystring: ReportQuery }>('/reports', { schema: { querystring: query } }, async function reportsPage (request, reply) {
    const lang = pickLang(request.headers['accept-language'])
    const m = TEXT[lang]
    const user = await request.ssoUser()
    if (user === null) {
      const back = '/reports' + (request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '')
      return reply.redirect(fastify.sso.loginPath(back), 303)
    }
    const agent = await request.agent()
    if (!await isAdmin(agent.username)) return page(reply, lang, m.title, `<p role="alert">${escapeHtml(m.forbidden)}</p><p><a href="/">${escapeHtml(m.back)}</a></p>`, 403)
    let r: Report
    let selected: { apps: string[], from: string, to: string, timeZone: string }
    try {
      selected = await range(agent, request.query)
      r = await teamReport(fastify.replica, selected, opts.timeoutMs)
    } catch (err) {
      const status = err instanceof BadReport ? 400 : err instanceof TooSlow ? 503 : null
      if (status !== null) return page(reply, lang, m.title, `<p role="alert">${escapeHtml((err as Error).message)}</p><p><a href="/reports">${escapeHtml(m.title)}</a></p>`, status)
      throw err
    }
    return page(reply, lang, m.title, render(lang, r, agent.apps, request.query.appid ?? '', selected.timeZone))
  })

  function page (reply: FastifyReply, lang: Lang, title: string, body: string, status = 200): FastifyReply {
    const nonce = randomBytes(16).toString('base64')
    return sendFeaturePage(reply, {
      status,
      lang,
      title,
      csp: `default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; script-src 'nonce-${nonce}'`,
      stylesheet: '/reports/reports.css',
      bodyClass: 'reports',
      body
    })
  }

  function render (lang: Lang, r: Report, apps: string[], appid: string, timeZone: string): string {
    const m = TEXT[lang]
    const qs = new URLSearchParams({ from: r.from, to: r.to, ...(appid === '' ? {} : { appid }) }).toString()
    // Days of the range, and the daily figures summed over the selected mini programs.
    const days: string[] = []
    for (let t = Date.parse(`${r.from}T00:00:00Z`); t <= Date.parse(`${r.to}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10))
    const daily = days.map((d) => r.apps.filter((a) => a.day === d))
    const sum = (rows: typeof r.apps, f: (a: (typeof r.apps)[number]) => number): number => rows.reduce((n, a) => n + f(a), 0)
    // Across mini programs a day's median is not the median of medians: the chart shows the busiest one's when several.
    const frtOf = (rows: typeof r.apps, f: 'medianS' | 'p90S'): number | null => {
      const busiest = [...rows].sort((a, b) => b.firstResponse.count - a.firstResponse.count)[0]
      return busiest === undefined ? null : busiest.firstResponse[f]
    }
    const labels = days.map((d) => d.slice(5))
    const volume = barChart(m.volume, m.volumeDesc, labels, [
      { name: m.conversations, tone: 1, values: daily.map((rows) => sum(rows, (a) => a.conversations)) },
      { name: m.messagesIn, tone: 2, values: daily.map((rows) => sum(rows, (a) => a.messagesIn)) },
      { name: m.messagesOut, tone: 3, values: daily.map((rows) => sum(rows, (a) => a.messagesOut)) }
    ])
    const frt = lineChart(m.frt, m.frtDesc, labels, [
      { name: m.frtMedian, tone: 1, values: daily.map((rows) => frtOf(rows, 'medianS')) },
      { name: m.frtP90, tone: 4, values: daily.map((rows) => frtOf(rows, 'p90S')) }
    ], 'seconds')
    const agents = r.agents.length === 0
      ? ''
      : barChart(m.agentsChart, m.agentsDesc, r.agents.map((a) => a.agent), [
        { name: m.messagesOut, tone: 3, values: r.agents.map((a) => a.messagesOut) },
        { name: m.conversations, tone: 1, values: r.agents.map((a) => a.conversations) }
      ])
    const totals = r.apps.filter((a) => a.day === null)
    const th = (s: string): string => `<th scope="col">${escapeHtml(s)}</th>`
    const td = (v: string | number): string => `<td>${escapeHtml(String(v))}</td>`
    const appTable = `<table><caption>${escapeHtml(m.perApp)}</caption><thead><tr>${[m.app, m.day, m.conversations, m.messagesIn, m.messagesOut, m.frtMedian, m.frtP90, m.unanswered, m.resolved, m.resMedian, m.resP90, m.blocked].map(th).join('')}</tr></thead><tbody>
${r.apps.map((a) => `<tr${a.day === null ? ' class="total"' : ''}><th scope="row">${escapeHtml(a.appId)}</th>${[a.day ?? m.total, a.conversations, a.messagesIn, a.messagesOut, formatDuration(a.firstResponse.medianS), formatDuration(a.firstResponse.p90S), a.unanswered, a.resolution.count, formatDuration(a.resolution.medianS), formatDuration(a.resolution.p90S), a.blocked].map(td).join('')}</tr>`).join('\n')}
</tbody></table>`
    const agentTable = `<table><caption>${escapeHtml(m.perAgent)}</caption><thead><tr>${[m.agent, m.messagesOut, m.conversations, m.frtMedian, m.frtP90, m.resolved, m.resMedian, m.resP90, m.blocked].map(th).join('')}</tr></thead><tbody>
${r.agents.map((a) => `<tr><th scope="row">${escapeHtml(a.agent)}</th>${[a.messagesOut, a.conversations, formatDuration(a.firstResponse.medianS), formatDuration(a.firstResponse.p90S), a.resolution.count, formatDuration(a.resolution.medianS), formatDuration(a.resolution.p90S), a.blocked].map(td).join('')}</tr>`).join('\n')}
</tbody></table>`
    const summary = totals.length === 0
      ? `<p class="empty">${escapeHtml(m.empty)}</p>`
      : `<ul class="kpis">${[
          [m.conversations, String(sum(totals, (a) => a.conversations))],
          [m.messagesIn, String(sum(totals, (a) => a.messagesIn))],
          [m.messagesOut, String(sum(totals, (a) => a.messagesOut))],
          [m.blocked, String(sum(totals, (a) => a.blocked))]
        ].map(([k, v]) => `<li><span>${escapeHtml(k!)}</span><strong>${escapeHtml(v!)}</strong></li>`).join('')}</ul>`
    return `<header class="top"><h1>kefu · ${escapeHtml(m.title)}</h1><a href="/">${escapeHtml(m.back)}</a></header>
<main class="report">
<form method="get" action="/reports" class="filters">
<label>${escapeHtml(m.from)} <input type="date" name="from" value="${escapeHtml(r.from)}" required></label>
<label>${escapeHtml(m.to)} <input type="date" name="to" value="${escapeHtml(r.to)}" required></label>
<label>${escapeHtml(m.app)} <select name="appid"><option value="">${escapeHtml(m.allApps)}</option>${apps.map((a) => `<option value="${escapeHtml(a)}"${a === appid ? ' selected' : ''}>${escapeHtml(a)}</option>`).join('')}</select></label>
<button type="submit" class="primary">${escapeHtml(m.show)}</button>
<a class="button" href="/api/reports.csv?${escapeHtml(qs)}" download>${escapeHtml(m.csv)}</a>
</form>
<p class="range" id="report-zone">${escapeHtml(m.range(r.from, r.to, timeZone))}</p>
${summary}
<section class="charts">
<figure>${volume}</figure>
<figure>${frt}</figure>
${agents === '' ? '' : `<figure>${agents}</figure>`}
</section>
<div class="tables" role="region" tabindex="0" aria-label="${escapeHtml(m.tables)}">${appTable}${agentTable}</div>
<p class="note">${escapeHtml(m.note)}</p>
</main>`
  }
}

const CSS = `
body.reports { overflow-y: auto; }
.reports header.top a { margin-left: auto; }
.report { padding: 1rem; max-width: 72rem; margin: 0 auto; display: grid; gap: 1rem; }
.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; }
.filters label { display: grid; gap: .25rem; font-size: .9rem; }
.filters input, .filters select { min-height: 40px; padding: .25rem .5rem; border: 1px solid var(--line); border-radius: 6px; }
.filters a.button { margin: 0; min-height: 40px; }
.range, .note, .empty { color: var(--muted); margin: 0; }
.kpis { list-style: none; display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; padding: 0; margin: 0; }
.kpis li { border: 1px solid var(--line); border-radius: 8px; padding: .75rem; display: grid; }
.kpis strong { font-size: 1.6rem; }
.report > * { min-width: 0; }
:root { --chart-1: #0a66c2; --chart-2: #2e9e6b; --chart-3: #d97706; --chart-4: #b42318; }
@media (prefers-color-scheme: dark) { :root { --chart-1: #6cb2f5; --chart-2: #57c777; --chart-3: #f5a623; --chart-4: #ff8a80; } }
.c1 { --tone: var(--chart-1); } .c2 { --tone: var(--chart-2); } .c3 { --tone: var(--chart-3); } .c4 { --tone: var(--chart-4); }
/* Three charts a row at 1280, one on a phone: a chart box is ~340-360 CSS px, about the SVG's 360 units, so its text keeps its size. */
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr)); gap: 1rem; }
.charts figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: .5rem; }
.charts figcaption { display: grid; gap: .25rem; margin-bottom: .25rem; }
.chart-title { font-weight: 600; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: 0; font-size: .85rem; }
.legend li { display: flex; align-items: center; gap: .35rem; }
.swatch { width: .8rem; height: .8rem; border-radius: 2px; background: var(--tone); flex: none; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .grid { stroke: #8a8a8a33; }
svg.chart .tick { fill: currentColor; }
svg.chart rect, svg.chart circle { fill: var(--tone); }
svg.chart path.line { fill: none; stroke: var(--tone); stroke-width: 2; }
.tables { display: grid; gap: 1rem; overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; padding: .5rem; }
table { border-collapse: collapse; font-size: .9rem; min-width: 100%; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: right; white-space: nowrap; }
/* At 1280 the headers wrap so that the tables fit their box; on a phone they scroll inside it, headers on one line. */
@media (min-width: 60rem) { thead th { white-space: normal; vertical-align: bottom; min-width: 4.5em; } }
th[scope=row], thead th:first-child { text-align: left; }
tr.total { font-weight: 600; }
`
