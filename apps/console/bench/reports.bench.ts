// pnpm bench:reports — for each size (BENCH_SIZES=1000000,10000000, or BENCH_MESSAGES; default 1,000,000), in a
// database of its own: loads that many customer messages (plus replies and resolutions, bench-data.ts) over 90 days a
// million (BENCH_DAYS: the same days for every size, 10,000,000 in 90 days being ten times as busy), indexes them
// for search and folds them into the reports' roll-up with the worker's ReportRollup, then times the team report of
// the last 7 / 30 / 90 days over the tables (the old scan) and from the roll-up, against the goals (≤ 100 / 150 /
// 250 ms), checks both give the same report, times a fold of 1,000 new messages, and the typical searches (p50, p95),
// so the sizes can be compared. Needs DATABASE_URL (a real PostgreSQL); bounded: it stops by itself and drops each
// database.
import { appendFileSync } from 'node:fs'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { ReportRollup } from '@kefu/history'
import { teamReport, type Report, type ReportSource } from '../src/reports/index.js'
import { APPS, DAYS, indexAll, lastDays, line, loadMessages, ms, pct, requireDatabase, timeSearches, typicalSearches } from './bench-data.js'

requireDatabase('bench:reports')
const SIZES = (process.env.BENCH_SIZES ?? process.env.BENCH_MESSAGES ?? '1000000').split(',').map((x) => Number(x.trim()))
if (SIZES.some((n) => !Number.isInteger(n) || n < 1000)) {
  process.stderr.write('BENCH_SIZES (or BENCH_MESSAGES): whole numbers of messages, at least 1000, separated by commas\n')
  process.exit(2)
}
// The history a size spans: BENCH_DAYS for every size, else 90 days a million messages (at least 90): a table grows
// with time, as a provider's does, while a team's day stays about as busy.
const FIXED_DAYS = process.env.BENCH_DAYS === undefined ? undefined : Number(process.env.BENCH_DAYS)
if (FIXED_DAYS !== undefined && (!Number.isInteger(FIXED_DAYS) || FIXED_DAYS < 90)) {
  process.stderr.write('BENCH_DAYS: a whole number of days, at least 90\n')
  process.exit(2)
}
const daysOf = (n: number): number => FIXED_DAYS ?? Math.max(DAYS, Math.round(DAYS * n / 1_000_000))
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SEARCH_RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 20)
const GOALS: Array<[number, number]> = [[7, 100], [30, 150], [90, 250]]

interface SizeResult { n: number, days: number, fold: number, reports: Array<{ days: number, scan: number, rollup: number, goal: number, same: boolean }>, searchP50: number, searchP95: number, incremental: number }

const median = (xs: number[]): number => pct(xs, 0.5)
async function timeReport (prisma: ReturnType<typeof createPrismaClient>, days: number, source: ReportSource, runs: number): Promise<{ ms: number, report: Report }> {
  let report = await teamReport(prisma, { apps: APPS, ...lastDays(days) }, 600_000, source) // warm-up
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    report = await teamReport(prisma, { apps: APPS, ...lastDays(days) }, 600_000, source)
    times.push(performance.now() - start)
  }
  return { ms: median(times), report }
}

async function one (n: number): Promise<SizeResult> {
  const db = await createTestDatabase('bench_reports')
  const prisma = createPrismaClient({ url: db.url, poolMax: 4 })
  try {
    const days = daysOf(n)
    line(`\nbench:reports — ${n.toLocaleString('en')} messages over ${days} days, ${APPS.length} mini programs, 50,000 customers; PostgreSQL at DATABASE_URL`)
    line(`  loaded in ${(await loadMessages(prisma, n, days)).toFixed(1)} s`)
    const indexed = await indexAll(prisma)
    line(`  indexed ${indexed.rows.toLocaleString('en')} rows for search in ${indexed.secs.toFixed(1)} s`)

    // The fold as the worker runs it, here in one batch (a database that had messages before the roll-up existed).
    let t0 = performance.now()
    const rollup = new ReportRollup(prisma, { lagMs: 0, batch: n })
    const rows = await rollup.catchUp()
    await prisma.$executeRawUnsafe('ANALYZE report_daily')
    await prisma.$executeRawUnsafe('ANALYZE report_episode')
    const fold = (performance.now() - t0) / 1000
    const episodes = Number((await prisma.$queryRawUnsafe<Array<{ n: bigint }>>('SELECT count(*) AS n FROM report_episode'))[0]!.n)
    line(`  folded ${rows.toLocaleString('en')} rows in ${fold.toFixed(1)} s: ${episodes.toLocaleString('en')} conversations`)

    const reports: SizeResult['reports'] = []
    line(`  team report, all mini programs (median of ${RUNS} after a warm-up; the scan: of ${n > 2_000_000 ? 1 : RUNS}):`)
    for (const [days, goal] of GOALS) {
      const scan = await timeReport(prisma, days, 'scan', n > 2_000_000 ? 1 : RUNS)
      const roll = await timeReport(prisma, days, 'rollup', RUNS)
      const same = JSON.stringify(scan.report) === JSON.stringify(roll.report)
      reports.push({ days, scan: scan.ms, rollup: roll.ms, goal, same })
      const conv = roll.report.apps.filter((a) => a.day === null).reduce((k, a) => k + a.conversations, 0)
      line(`    ${`${days} days`.padEnd(8)} scan ${ms(scan.ms).padStart(10)}  roll-up ${ms(roll.ms).padStart(9)}  goal ≤ ${goal} ms: ${roll.ms <= goal ? 'met' : 'not met'}  (${conv.toLocaleString('en')} conversations; same report: ${same ? 'yes' : 'NO'})`)
    }

    // Steady state: 1,000 new messages of existing customers (the last hour), then one fold.
    await prisma.$executeRawUnsafe(`
      INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, msg_info, payload, format, wechat_create_time, create_time)
      SELECT app_id, 'late:' || r, openid, 'gh_bench', openid, 'text', '{"text":"还在吗"}', '{}', 'json', extract(epoch FROM now())::bigint - r, now() - interval '1 hour'
      FROM (SELECT app_id, openid, row_number() OVER (ORDER BY app_id, openid) AS r FROM conversation) c WHERE r <= 1000`)
    t0 = performance.now()
    await rollup.catchUp()
    const incremental = performance.now() - t0
    line(`  a fold of 1,000 new messages: ${ms(incremental)}`)

    const { searches } = await typicalSearches(prisma)
    const each = await timeSearches(prisma, searches, SEARCH_RUNS)
    const all = each.flatMap((s) => s.times)
    line(`  ${searches.length} typical searches × ${SEARCH_RUNS}: p50 ${ms(pct(all, 0.5))}, p95 ${ms(pct(all, 0.95))}`)
    for (const x of each) line(`    ${x.name.padEnd(36)} p50 ${ms(pct(x.times, 0.5)).padStart(10)}  max ${ms(Math.max(...x.times)).padStart(10)}${x.stopped > 0 ? `  STOPPED at the deadline ${x.stopped}×` : ''}`)
    return { n, days, fold, reports, searchP50: pct(all, 0.5), searchP95: pct(all, 0.95), incremental }
  } finally {
    await prisma.$disconnect()
    if (process.env.BENCH_KEEP_DB === '1') line(`kept ${db.url}`)
    else await db.drop()
  }
}

const results: SizeResult[] = []
for (const n of SIZES) results.push(await one(n))

line('\nsummary (team report of the last 7 / 30 / 90 days, all mini programs; search over the 13 typical queries):')
line('| messages | history | range | scan | roll-up | goal | met |')
line('|---|---|---|---|---|---|---|')
for (const r of results) {
  for (const x of r.reports) line(`| ${r.n.toLocaleString('en')} | ${r.days} days | ${x.days} days | ${ms(x.scan)} | **${ms(x.rollup)}** | ≤ ${x.goal} ms | ${x.rollup <= x.goal ? 'yes' : 'no'}${x.same ? '' : ' (reports differ!)'} |`)
}
line('\n| messages | first fold | fold of 1,000 new | search p50 | search p95 |')
line('|---|---|---|---|---|')
for (const r of results) line(`| ${r.n.toLocaleString('en')} | ${r.fold.toFixed(1)} s | ${ms(r.incremental)} | ${ms(r.searchP50)} | ${ms(r.searchP95)} |`)
// For `pnpm bench:runs reports 5` (scripts/bench-runs.mjs): this run's figures, one JSON line.
if (process.env.BENCH_RESULTS !== undefined) {
  const figures: Record<string, number> = {}
  for (const r of results) {
    const size = r.n.toLocaleString('en')
    for (const x of r.reports) figures[`${x.days}-day report, ${size} messages (ms)`] = x.rollup
    figures[`search p50, ${size} messages (ms)`] = r.searchP50
    figures[`search p95, ${size} messages (ms)`] = r.searchP95
  }
  appendFileSync(process.env.BENCH_RESULTS, JSON.stringify(figures) + '\n')
}
if (results.some((r) => r.reports.some((x) => !x.same))) process.exitCode = 1
