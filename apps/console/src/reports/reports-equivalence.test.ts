import t, { type Test } from 'tap'
import { createPrismaClient, type PrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { ReportRollup } from '@kefu/history'
import { rangeBounds, teamReport, type AgentRow, type AppRow, type Durations, type Report, type ReportSource } from './reports.js'

// teamReport against a plain TypeScript computation of the documented rules, on a few thousand seeded random messages,
// replies and resolutions whose times crowd the edges: gaps of exactly 24 hours (not a new conversation) and one
// second more (a new one), several messages in the same second, resolutions at a message's exact second, a
// millisecond before or after it, replies at an episode's first second. The reference is also checked against the
// report's first SQL (kept below), so both agree with what the reports always counted. Both ways of the report are
// checked: over the tables alone (`scan`) and from the worker's roll-up plus the rows it has not folded yet (`rollup`),
// before any fold, between folds, after all, after rows that came later (in time too), and with two workers racing.

const GAP = 24 * 3600
const APP_IDS = ['wxeq00000000000001', 'wxeq00000000000002', 'wxeq00000000000003']
const AGENTS = ['agent0', 'agent1', 'agent2', 'agent3']
const BASE = Date.parse('2026-11-01T00:00:00+08:00') / 1000

/** mulberry32: the same data on every run. */
function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

interface Msg { id: number, app: string, openid: string, t: number, type: string, deleted: boolean }
interface Out { id: number, app: string, openid: string, ms: number, status: string, errcode: number | null, agent: string }
interface Act { id: number, app: string, openid: string, ms: number, kind: string, to: string, actor: string | null }
interface Blocked { hourMs: number, app: string, agent: string, reason: string, count: number }
interface Data { msgs: Msg[], outs: Out[], acts: Act[], blocked: Blocked[] }

function generate (seed: number): Data {
  const r = rng(seed)
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!
  const msgs: Msg[] = []
  const outs: Out[] = []
  const acts: Act[] = []
  let mid = 0
  let oid = 0
  let aid = 0
  for (let c = 0; c < 90; c++) {
    const app = APP_IDS[c % APP_IDS.length]!
    const openid = `o${c}`
    let t = BASE + Math.floor(r() * 6 * 86400)
    const times: number[] = []
    for (let i = 0; i < 30 + Math.floor(r() * 20); i++) {
      times.push(t)
      msgs.push({ id: ++mid, app, openid, t, type: r() < 0.06 ? 'event' : 'text', deleted: r() < 0.04 })
      t += pick([0, 0, 1, 2, 40, 600, 3600, GAP - 1, GAP, GAP, GAP + 1, GAP + 1, 2 * GAP, Math.floor(r() * 2 * GAP)])
    }
    // Replies and status changes near the messages: at their exact second, a millisecond either side, a second
    // later, somewhere before the next message, at the next message's second. Distinct instants per customer (the
    // first of two at the same instant would be either).
    const used = new Set<string>()
    const near = (i: number): number => {
      const m = times[i]! * 1000
      const next = (times[i + 1] ?? times[i]! + 3600) * 1000
      return pick([m, m, m - 1, m + 1, m + 1000, m - 1000, next, next - 1, m + Math.floor(r() * Math.max(1, next - m))])
    }
    for (let i = 0; i < times.length; i++) {
      if (r() < 0.45) {
        const ms = near(i)
        const status = pick(['sent', 'sent', 'sent', 'sent', 'failed', 'sending'])
        const key = `o${ms}`
        if (status !== 'sent' || !used.has(key)) {
          if (status === 'sent') used.add(key)
          outs.push({ id: ++oid, app, openid, ms, status, errcode: status === 'failed' ? pick([45015, 45047, 40001]) : null, agent: pick(AGENTS) })
        }
      }
      if (r() < 0.3) {
        const ms = near(i)
        const [kind, to] = pick([['status', 'resolved'], ['status', 'resolved'], ['status', 'resolved'], ['status', 'open'], ['status', 'pending'], ['assignment', 'resolved']]) as [string, string]
        const key = `a${ms}`
        if (!(kind === 'status' && to === 'resolved' && used.has(key))) {
          if (kind === 'status' && to === 'resolved') used.add(key)
          acts.push({ id: ++aid, app, openid, ms, kind, to, actor: r() < 0.1 ? null : pick(AGENTS) })
        }
      }
    }
  }
  const blocked: Blocked[] = []
  for (let h = 0; h < 14 * 24; h += 7) {
    blocked.push({ hourMs: (BASE + h * 3600) * 1000, app: APP_IDS[h % 2]!, agent: AGENTS[h % AGENTS.length]!, reason: 'closed', count: 1 + (h % 3) })
  }
  return { msgs, outs, acts, blocked }
}

async function load (prisma: PrismaClient, d: Data): Promise<void> {
  // Inserted out of time order, so ids and times disagree.
  const shuffled = [...d.msgs].sort((a, b) => ((a.id * 7919) % 1009) - ((b.id * 7919) % 1009) || a.id - b.id)
  for (let i = 0; i < shuffled.length; i += 1000) {
    await prisma.customerMessage.createMany({
      data: shuffled.slice(i, i + 1000).map((m) => ({
        id: BigInt(m.id), appId: m.app, dedupeKey: `m:${m.id}`, openid: m.openid, toUsername: 'gh_x', fromUsername: m.openid, msgType: m.type,
        msgInfo: '{"text":"hi"}', payload: '{}', format: 'json', wechatCreateTime: BigInt(m.t), deleteTime: m.deleted ? new Date() : null
      }))
    })
  }
  await prisma.outboundMessage.createMany({
    data: d.outs.map((o) => ({ id: BigInt(o.id), appId: o.app, openid: o.openid, msgType: 'text', content: '{}', status: o.status, errcode: o.errcode, agent: o.agent, createdAt: new Date(o.ms) }))
  })
  await prisma.conversationActivity.createMany({
    data: d.acts.map((a) => ({ id: BigInt(a.id), appId: a.app, openid: a.openid, kind: a.kind, actor: a.actor, fromValue: 'open', toValue: a.to, createdAt: new Date(a.ms) }))
  })
  await prisma.replyBlockedHourly.createMany({ data: d.blocked.map((b) => ({ hour: new Date(b.hourMs), appId: b.app, agent: b.agent, reason: b.reason, count: b.count })) })
}

interface Episode { app: string, openid: string, startS: number, repliedMs: number | null, repliedBy: string | null, resolvedMs: number | null, resolvedBy: string | null }

/** The episodes starting in [s, e) (epoch seconds), as the rules say, in plain TypeScript. */
function referenceEpisodes (d: Data, apps: string[], s: number, e: number): Episode[] {
  const byCustomer = new Map<string, { msgs: number[], outs: Out[], res: Act[] }>()
  const of = (app: string, openid: string) => {
    const k = `${app}\u0000${openid}`
    let v = byCustomer.get(k)
    if (v === undefined) byCustomer.set(k, v = { msgs: [], outs: [], res: [] })
    return v
  }
  for (const m of d.msgs) if (apps.includes(m.app) && m.type !== 'event' && !m.deleted) of(m.app, m.openid).msgs.push(m.t)
  for (const o of d.outs) if (apps.includes(o.app) && o.status === 'sent') of(o.app, o.openid).outs.push(o)
  for (const a of d.acts) if (apps.includes(a.app) && a.kind === 'status' && a.to === 'resolved') of(a.app, a.openid).res.push(a)
  const episodes: Episode[] = []
  for (const [key, c] of byCustomer) {
    const [app, openid] = key.split('\u0000') as [string, string]
    // The statement sees the messages of [s - 24 h, e): one before that is more than 24 hours before any in range.
    const ts = c.msgs.filter((x) => x >= s - GAP && x < e).sort((a, b) => a - b)
    const starts: number[] = []
    ts.forEach((x, i) => {
      const prev = i === 0 ? null : ts[i - 1]!
      if (prev === null || x - prev > GAP || c.res.some((a) => a.ms > prev * 1000 && a.ms <= x * 1000)) starts.push(x)
    })
    starts.forEach((x, i) => {
      if (x < s) return
      const next = starts[i + 1]
      const first = <T extends { ms: number, id: number }>(xs: T[]): T | undefined => xs
        .filter((y) => y.ms >= x * 1000 && (next === undefined || y.ms < next * 1000))
        .sort((a, b) => a.ms - b.ms || a.id - b.id)[0]
      const f = first(c.outs)
      const r = first(c.res)
      episodes.push({ app, openid, startS: x, repliedMs: f?.ms ?? null, repliedBy: f?.agent ?? null, resolvedMs: r?.ms ?? null, resolvedBy: r?.actor ?? null })
    })
  }
  return episodes.sort((a, b) => a.app.localeCompare(b.app) || a.openid.localeCompare(b.openid) || a.startS - b.startS)
}

const chinaDay = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10)

/** percentile_cont as PostgreSQL computes it (float8 interpolation). */
function percentile (xs: number[], p: number): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const pos = p * (s.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!)
}
const round = (x: number | null): number | null => x === null ? null : Math.round(x * 10) / 10
const durations = (xs: number[]): Durations => ({ count: xs.length, medianS: round(percentile(xs, 0.5)), p90S: round(percentile(xs, 0.9)) })

/** The whole report from the reference episodes and the raw rows. */
function referenceReport (d: Data, apps: string[], from: string, to: string): Report {
  const { start, end } = rangeBounds(from, to)
  const s = start.getTime() / 1000
  const e = end.getTime() / 1000
  const eps = referenceEpisodes(d, apps, s, e)
  const inRange = (ms: number): boolean => ms >= start.getTime() && ms < end.getTime()
  const appRows: AppRow[] = []
  for (const app of [...apps].sort()) {
    const days = new Map<string, { in: number, out: number, blocked: number }>()
    const day = (k: string) => { let v = days.get(k); if (v === undefined) days.set(k, v = { in: 0, out: 0, blocked: 0 }); return v }
    for (const m of d.msgs) if (m.app === app && m.type !== 'event' && !m.deleted && inRange(m.t * 1000)) day(chinaDay(m.t * 1000)).in++
    for (const o of d.outs) {
      if (o.app !== app || !inRange(o.ms)) continue
      const v = day(chinaDay(o.ms))
      if (o.status === 'sent') v.out++
      if (o.status === 'failed' && (o.errcode === 45015 || o.errcode === 45047)) v.blocked++
    }
    for (const b of d.blocked) if (b.app === app && inRange(b.hourMs)) day(chinaDay(b.hourMs)).blocked += b.count
    const mine = eps.filter((x) => x.app === app)
    for (const x of mine) day(chinaDay(x.startS * 1000))
    if (days.size === 0) continue
    const row = (dayKey: string | null, list: Episode[], counts: { in: number, out: number, blocked: number }): AppRow => {
      const frt = list.filter((x) => x.repliedMs !== null).map((x) => (x.repliedMs! - x.startS * 1000) / 1000)
      return {
        appId: app,
        day: dayKey,
        conversations: list.length,
        messagesIn: counts.in,
        messagesOut: counts.out,
        firstResponse: durations(frt),
        unanswered: list.length - frt.length,
        resolution: durations(list.filter((x) => x.resolvedMs !== null).map((x) => (x.resolvedMs! - x.startS * 1000) / 1000)),
        blocked: counts.blocked
      }
    }
    const keys = [...days.keys()].sort()
    const total = { in: 0, out: 0, blocked: 0 }
    for (const v of days.values()) { total.in += v.in; total.out += v.out; total.blocked += v.blocked }
    appRows.push(row(null, mine, total))
    for (const k of keys) appRows.push(row(k, mine.filter((x) => chinaDay(x.startS * 1000) === k), days.get(k)!))
  }
  const agents = new Map<string, { out: number, blocked: number }>()
  const agent = (k: string) => { let v = agents.get(k); if (v === undefined) agents.set(k, v = { out: 0, blocked: 0 }); return v }
  for (const o of d.outs) {
    if (!apps.includes(o.app) || !inRange(o.ms)) continue
    const v = agent(o.agent)
    if (o.status === 'sent') v.out++
    if (o.status === 'failed' && (o.errcode === 45015 || o.errcode === 45047)) v.blocked++
  }
  for (const b of d.blocked) if (apps.includes(b.app) && inRange(b.hourMs)) agent(b.agent).blocked += b.count
  for (const x of eps) {
    if (x.repliedBy !== null) agent(x.repliedBy)
    if (x.resolvedBy !== null) agent(x.resolvedBy)
  }
  const agentRows: AgentRow[] = [...agents.keys()].sort().map((a) => {
    const first = eps.filter((x) => x.repliedBy === a).map((x) => (x.repliedMs! - x.startS * 1000) / 1000)
    return {
      agent: a,
      messagesOut: agents.get(a)!.out,
      conversations: first.length,
      firstResponse: durations(first),
      resolution: durations(eps.filter((x) => x.resolvedBy === a).map((x) => (x.resolvedMs! - x.startS * 1000) / 1000)),
      blocked: agents.get(a)!.blocked
    }
  })
  return { from, to, apps: appRows, agents: agentRows }
}

/** The episodes statement as first written (an EXISTS per message, a LATERAL per episode): the reference's reference. */
const FIRST_EPISODES_SQL = `
    WITH m AS (
      SELECT app_id, openid, wechat_create_time AS t,
             lag(wechat_create_time) OVER (PARTITION BY app_id, openid ORDER BY wechat_create_time, id) AS prev
      FROM customer_message
      WHERE app_id = ANY($1::text[]) AND msg_type <> 'event' AND delete_time IS NULL
        AND wechat_create_time >= $2 - ${GAP} AND wechat_create_time < $3
    ), starts AS (
      SELECT app_id, openid, t FROM m WHERE prev IS NULL OR t - prev > ${GAP} OR EXISTS (SELECT 1 FROM conversation_activity a
        WHERE a.app_id = m.app_id AND a.openid = m.openid AND a.kind = 'status'
         AND a.to_value = 'resolved' AND a.created_at > to_timestamp(m.prev) AND a.created_at <= to_timestamp(m.t))
    ), e AS (
      SELECT app_id, openid, to_timestamp(t) AS start,
             to_timestamp(lead(t) OVER (PARTITION BY app_id, openid ORDER BY t)) AS next_start
      FROM starts
    )
    SELECT e.app_id, e.openid, e.start, f.at AS replied_at, f.agent AS replied_by, r.at AS resolved_at, r.actor AS resolved_by
    FROM e
    LEFT JOIN LATERAL (SELECT o.created_at AS at, o.agent FROM outbound_message o
      WHERE o.app_id = e.app_id AND o.openid = e.openid AND o.status = 'sent'
        AND o.created_at >= e.start AND (e.next_start IS NULL OR o.created_at < e.next_start)
      ORDER BY o.created_at LIMIT 1) f ON true
    LEFT JOIN LATERAL (SELECT a.created_at AS at, a.actor FROM conversation_activity a
         WHERE a.app_id = e.app_id AND a.openid = e.openid AND a.kind = 'status' AND a.to_value = 'resolved'
           AND a.created_at >= e.start AND (e.next_start IS NULL OR a.created_at < e.next_start)
         ORDER BY a.created_at LIMIT 1) r ON true
    WHERE e.start >= to_timestamp($2)`

const RANGES: Array<[string[], string, string]> = [
  [APP_IDS, '2026-10-30', '2026-11-30'], // everything
  [APP_IDS.slice(0, 2), '2026-11-04', '2026-11-06'], // cut in the middle: episodes that began before, or continue after
  [[APP_IDS[2]!], '2026-11-07', '2026-11-07'],
  [APP_IDS, '2026-11-02', '2026-11-02']
]
const ranges = RANGES

async function sameAsReference (t: Test, prisma: PrismaClient, d: Data, source: ReportSource, label: string): Promise<void> {
  for (const [apps, from, to] of RANGES) {
    t.same(await teamReport(prisma, { apps, from, to }, undefined, source), referenceReport(d, apps, from, to), `${label}, ${from}..${to}: equals the reference`)
  }
}

/** Rows past the roll-up's cursors, per table. */
async function unfolded (prisma: PrismaClient): Promise<number[]> {
  const r = await prisma.$queryRawUnsafe<Array<{ m: bigint, o: bigint, a: bigint }>>(`
    WITH c AS (SELECT name, last_id FROM history_cursor)
    SELECT (SELECT count(*) FROM customer_message WHERE id > coalesce((SELECT last_id FROM c WHERE name = 'rollup:customer_message'), 0)) AS m,
           (SELECT count(*) FROM outbound_message WHERE id > coalesce((SELECT last_id FROM c WHERE name = 'rollup:outbound_message'), 0)) AS o,
           (SELECT count(*) FROM conversation_activity WHERE id > coalesce((SELECT last_id FROM c WHERE name = 'rollup:conversation_activity'), 0)) AS a`)
  return [Number(r[0]!.m), Number(r[0]!.o), Number(r[0]!.a)]
}

t.test('team report: the same as the rules computed in TypeScript, on seeded random data around the edges', async (t) => {
  const db = await createTestDatabase('reports_equivalence')
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  const d = generate(20261210)
  await load(prisma, d)
  t.ok(d.msgs.length > 3000, `${d.msgs.length} messages, ${d.outs.length} replies, ${d.acts.length} status changes`)

  for (const [apps, from, to] of ranges) {
    const { start, end } = rangeBounds(from, to)
    const want = referenceEpisodes(d, apps, start.getTime() / 1000, end.getTime() / 1000)
    const old = await prisma.$queryRawUnsafe<Array<{ app_id: string, openid: string, start: Date, replied_at: Date | null, replied_by: string | null, resolved_at: Date | null, resolved_by: string | null }>>(
      FIRST_EPISODES_SQL, apps, start.getTime() / 1000, end.getTime() / 1000)
    const got = old.map((x) => ({ app: x.app_id, openid: x.openid, startS: x.start.getTime() / 1000, repliedMs: x.replied_at?.getTime() ?? null, repliedBy: x.replied_by, resolvedMs: x.resolved_at?.getTime() ?? null, resolvedBy: x.resolved_by }))
      .sort((a, b) => a.app.localeCompare(b.app) || a.openid.localeCompare(b.openid) || a.startS - b.startS)
    t.same(got, want, `${from}..${to}: the first SQL finds the reference's episodes`)
    const report = await teamReport(prisma, { apps, from, to }, undefined, 'scan')
    const expected = referenceReport(d, apps, from, to)
    t.ok(expected.apps.some((a) => a.conversations > 0), `${from}..${to}: ${want.length} conversations`)
    t.same(report, expected, `${from}..${to}: teamReport over the tables equals the reference`)
  }
  await sameAsReference(t, prisma, d, 'rollup', 'roll-up, nothing folded yet')
  const rollup = new ReportRollup(prisma, { lagMs: 0, batch: 700 })
  const first = await rollup.fold()
  t.equal(first.messages, 700, 'one fold of 700 rows a table')
  await sameAsReference(t, prisma, d, 'rollup', 'roll-up, partly folded')
  await rollup.catchUp()
  t.same(await unfolded(prisma), [0, 0, 0], 'everything folded')
  t.ok(Number((await prisma.$queryRawUnsafe<Array<{ n: bigint }>>('SELECT count(*) AS n FROM report_episode'))[0]!.n) > 500, 'the roll-up holds the conversations')
  await sameAsReference(t, prisma, d, 'rollup', 'roll-up, all folded')

  // Later rows: a new customer's message and its reply, and a message that comes late, in the middle of a customer's
  // history (it may join or split their conversations): in the next report at once (not folded), then folded.
  const late: Msg[] = [
    { id: 900_001, app: APP_IDS[0]!, openid: 'o-late', t: BASE + 3 * 86400 + 77, type: 'text', deleted: false },
    { id: 900_002, app: d.msgs[40]!.app, openid: d.msgs[40]!.openid, t: d.msgs[40]!.t + 5 * 3600, type: 'text', deleted: false }
  ]
  const lateOut: Out = { id: 900_001, app: APP_IDS[0]!, openid: 'o-late', ms: (BASE + 3 * 86400 + 107) * 1000, status: 'sent', errcode: null, agent: 'agent9' }
  const more: Data = { msgs: late, outs: [lateOut], acts: [], blocked: [] }
  await load(prisma, more)
  d.msgs.push(...late)
  d.outs.push(lateOut)
  const before = await teamReport(prisma, { apps: APP_IDS, from: '2026-10-30', to: '2026-11-30' })
  t.ok(before.agents.some((a) => a.agent === 'agent9' && a.conversations === 1), 'a reply after the fold is in the next report')
  await sameAsReference(t, prisma, d, 'rollup', 'roll-up, rows after the fold')
  await rollup.catchUp()
  t.same(await unfolded(prisma), [0, 0, 0], 'the later rows folded')
  await sameAsReference(t, prisma, d, 'rollup', 'roll-up, later rows folded')
  // The edges are really there: same-second messages, gaps of exactly 24 hours and one second more, a resolution at a
  // message's second and at the previous message's second.
  const ts = d.msgs.filter((m) => m.type !== 'event' && !m.deleted).sort((a, b) => a.app.localeCompare(b.app) || a.openid.localeCompare(b.openid) || a.t - b.t)
  const gaps = new Set(ts.slice(1).map((m, i) => ts[i]!.openid === m.openid ? m.t - ts[i]!.t : -1))
  t.ok(gaps.has(0) && gaps.has(GAP) && gaps.has(GAP + 1), 'ties, 24 h and 24 h + 1 s')
  const seconds = new Set(ts.map((m) => `${m.openid}:${m.t * 1000}`))
  t.ok(d.acts.filter((a) => a.kind === 'status' && a.to === 'resolved' && seconds.has(`${a.openid}:${a.ms}`)).length > 20, 'resolutions at a message\'s exact second')
})

t.test('roll-up: two workers folding at the same time count each row once', { skip: process.env.DATABASE_URL === undefined && 'DATABASE_URL is not set (embedded run)' }, async (t) => {
  const db = await createTestDatabase('reports_rollup_race')
  t.teardown(db.drop)
  const clients = [0, 1].map(() => createPrismaClient({ url: db.url, poolMax: 2 }))
  t.teardown(async () => { for (const c of clients) await c.$disconnect() })
  const d = generate(20261207)
  await load(clients[0]!, d)
  // Small batches, so the two take turns many times; each folds until nothing is left (bounded).
  const workers = clients.map((c) => new ReportRollup(c, { lagMs: 0, batch: 150 }))
  const folded = [0, 0]
  await Promise.all(workers.map(async (w, i) => {
    for (let pass = 0; pass < 1000; pass++) {
      const r = await w.fold()
      folded[i]! += r.messages + r.replies + r.activity
      if ((await unfolded(clients[i]!)).every((n) => n === 0)) return
    }
  }))
  t.same(await unfolded(clients[0]!), [0, 0, 0], 'everything folded')
  t.equal(folded[0]! + folded[1]!, d.msgs.length + d.outs.length + d.acts.length, `each row folded once (${folded.join(' + ')})`)
  const counted = await clients[0]!.$queryRawUnsafe<Array<{ n: bigint }>>('SELECT sum(messages_in) AS n FROM report_daily')
  t.equal(Number(counted[0]!.n), d.msgs.filter((m) => m.type !== 'event' && !m.deleted).length, 'each customer message counted once')
  await sameAsReference(t, clients[1]!, d, 'rollup', 'roll-up folded by two workers')
})
