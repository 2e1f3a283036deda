// pnpm bench:search — loads 1,000,000 customer messages (plus replies and resolutions) into a database of its own,
// indexes them with the history worker's indexer, then times typical searches (p50, p95; goal p95 ≤ 100 ms), the
// same terms through a pg_trgm index for comparison, and the team report. Needs DATABASE_URL (a real PostgreSQL:
// embedded PGlite is one connection and not meant for this size); bounded: it stops by itself and drops its database.
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { teamReport } from '../src/reports/index.js'
import { APPS, DAYS, indexAll, lastDays, line, loadMessages, ms, pct, requireDatabase, timeSearches, typicalSearches } from './bench-data.js'

const N = Number(process.env.BENCH_MESSAGES ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 100)
requireDatabase('bench:search')

const db = await createTestDatabase('bench_search')
const prisma = createPrismaClient({ url: db.url, poolMax: 4 })
try {
  line(`bench:search — ${N.toLocaleString('en')} messages over ${DAYS} days, ${APPS.length} mini programs, 50,000 customers; PostgreSQL at DATABASE_URL`)
  line(`loaded in ${(await loadMessages(prisma, N)).toFixed(1)} s`)

  // Indexing: the history worker's catch-up path, as on a database that had messages before kefu kept an index.
  const { rows, secs } = await indexAll(prisma)
  line(`indexed ${rows.toLocaleString('en')} messages and replies in ${secs.toFixed(1)} s (${Math.round(rows / secs).toLocaleString('en')} rows/s); index ${(await prisma.$queryRawUnsafe<Array<{ s: string }>>("SELECT pg_size_pretty(pg_relation_size('message_search_tokens_idx')) AS s"))[0]!.s}`)

  const { searches, orders } = await typicalSearches(prisma)
  line(`\nsearch, ${RUNS} runs each, 20 results a page, newest first (goal p95 ≤ 100 ms):`)
  const all: number[] = []
  for (const { name, times, found } of await timeSearches(prisma, searches, RUNS)) {
    all.push(...times)
    line(`  ${name.padEnd(38)} p50 ${ms(pct(times, 0.5)).padStart(9)}  p95 ${ms(pct(times, 0.95)).padStart(9)}  (${found} results)`)
  }
  line(`  ${'all typical queries'.padEnd(38)} p50 ${ms(pct(all, 0.5)).padStart(9)}  p95 ${ms(pct(all, 0.95)).padStart(9)}`)

  // The alternative: pg_trgm over the same text, the plain plan (LIKE, newest first).
  const trgm = (await prisma.$queryRawUnsafe<unknown[]>("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).length > 0
  if (trgm) {
    await prisma.$executeRawUnsafe('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    const t0 = performance.now()
    await prisma.$executeRawUnsafe('CREATE INDEX bench_trgm ON message_search USING gin (body gin_trgm_ops)')
    line(`\npg_trgm for comparison: GIN trigram index built in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(await prisma.$queryRawUnsafe<Array<{ s: string }>>("SELECT pg_size_pretty(pg_relation_size('bench_trgm')) AS s"))[0]!.s}; LIKE '%term%' ORDER BY at DESC LIMIT 21, the statement alone (no second phase, no reading of the messages):`)
    for (const [name, term] of [['退款 (2 characters: no trigram)', '退款'], ['投诉 (rare, 2 characters: no trigram)', '投诉'], ['申请退款', '申请退款'], ['an order number', orders[0]!.slice(2)], ['refund', 'refund'], ['no match (zzqx)', 'zzqx'], ['鳄鱼 (2 characters, no match)', '鳄鱼']] as Array<[string, string]>) {
      const times: number[] = []
      for (let i = 0; i < Math.min(RUNS, 20); i++) {
        const start = performance.now()
        await prisma.$queryRawUnsafe('SELECT message_id FROM message_search WHERE app_id = ANY($1::text[]) AND body LIKE $2 ORDER BY at DESC LIMIT 21', APPS, `%${term}%`)
        times.push(performance.now() - start)
      }
      line(`  ${name.padEnd(38)} p50 ${ms(pct(times, 0.5)).padStart(9)}  p95 ${ms(pct(times, 0.95)).padStart(9)}`)
    }
    await prisma.$executeRawUnsafe('DROP INDEX bench_trgm')
  } else {
    line('\npg_trgm is not available on this server: no comparison')
  }

  line('\nteam report over the tables (SQL over customer_message, outbound_message, conversation_activity; `pnpm bench:reports` for the roll-up):')
  for (const days of [7, 30, 90]) {
    const start = performance.now()
    const r = await teamReport(prisma, { apps: APPS, ...lastDays(days) }, undefined, 'scan')
    const total = r.apps.filter((a) => a.day === null).reduce((n, a) => n + a.messagesIn, 0)
    line(`  ${`${days} days, all mini programs`.padEnd(38)} ${ms(performance.now() - start).padStart(11)}  (${total.toLocaleString('en')} customer messages, ${r.apps.filter((a) => a.day === null).reduce((n, a) => n + a.conversations, 0).toLocaleString('en')} conversations)`)
  }
} finally {
  await prisma.$disconnect()
  if (process.env.BENCH_KEEP_DB === '1') line(`kept ${db.url}`)
  else await db.drop()
}
