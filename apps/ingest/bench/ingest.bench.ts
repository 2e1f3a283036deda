// pnpm bench:ingest — safe-mode pushes, pre-signed and each one distinct (a resent push would be a cheaper duplicate),
// sent over loopback by a load generator in its own process to servers in their own processes, in one run:
//   1. a bare Fastify route that only answers success (the baseline), warmed up, then measured at 50 connections;
//   2. what a user would write instead (Express + npm wechat-crypto + node-postgres, one INSERT per push), the same;
//   3. ingest right after its start, one push at a time for BENCH_COLD_S (10) seconds;
//   4. ingest one push at a time on an otherwise idle machine, warmed up by step 3;
//   5. ingest at a steady offered rate of 1,000 pushes/s (an open loop: sends keep their schedule whatever the answers);
//   6. ingest warmed up, at 50 connections, in alternating rounds with a second ingest that has no metrics.
// Beside step 5, the floors under it at the same rate: the bare route (HTTP, the load generator and this machine's
// scheduling) and a durable one-row INSERT from node-postgres with nothing else in the way (pg-floor.ts).
// Each server reports its event-loop delay (perf_hooks.monitorEventLoopDelay). Afterwards every push ingest answered
// `success` is looked up in its database. Bounded: about 2 minutes, BENCH_PUSHES pushes at most per target.
import crypto from 'node:crypto'
import { appendFileSync } from 'node:fs'
import os from 'node:os'
import pg from 'pg'
import { createTestDatabase, type TestDatabase } from '@kefu/db/testing'
import type { RunResult } from './load-generator.js'
import { backends, cpuSeconds, startGenerator, startServer, type Eld, type Server } from './processes.js'
import { measurePgFloor, type FloorResult } from './pg-floor.js'

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10)
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5)
const COLD_S = Number(process.env.BENCH_COLD_S ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 1000)
const SERIAL = Number(process.env.BENCH_SERIAL ?? 3000)
const POOL = Number(process.env.DATABASE_POOL_MAX ?? 10)
const PUSHES = Number(process.env.BENCH_PUSHES ?? 240_000)
const APP = { appid: 'wxba5fad812f8e6fb9', token: 'benchToken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }

if (process.env.DATABASE_URL === undefined) {
  console.log('note: DATABASE_URL is not set: ingest and the Express receiver run on embedded PostgreSQL (PGlite, one connection); the goals are for real PostgreSQL')
}

const generator = await startGenerator()
const ask = generator.ask
const run = generator.run

/** Pushes already sent to each target (the targets keep their own databases, so they may reuse indices). */
class Cursor { next = 0 }

/** Seals the mini program's secrets in the bench's databases, as KEFU_SECRET_KEY does in production (required with DATABASE_URL). */
const SECRET_KEY = `bench:${crypto.randomBytes(32).toString('base64url')}`

function ingestEnv (db: TestDatabase, metrics: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    WECHAT_APPS: JSON.stringify([APP]),
    KEFU_SECRET_KEY: SECRET_KEY,
    DATABASE_POOL_MAX: String(POOL),
    // The pushes are signed once, before the first target: a wide window keeps the last targets' pushes fresh.
    WECHAT_TIMESTAMP_WINDOW_S: '3600',
    BENCH_METRICS: metrics ? 'on' : 'off',
    // Embedded PostgreSQL runs in this process, behind its one-connection socket.
    DATABASE_URL: db.url
  }
  if (db.kind === 'embedded') env.DATABASE_POOL_MAX = '1'
  return env
}

interface Saturation extends RunResult { eld: Eld, serverCpu: number, dbCpu: number, allocated: number, statements: number }

async function saturate (server: Server, cursor: Cursor, seconds: number, track = false, db?: TestDatabase): Promise<Saturation> {
  await server.eld(true)
  await server.allocated()
  const pids = await backends(db)
  const statements0 = await server.statements()
  const before = [cpuSeconds([server.child.pid!]), cpuSeconds(pids)]
  const r = await run(server.port, { mode: 'closed', connections: CONNECTIONS, from: cursor.next, limit: PUSHES, durationMs: seconds * 1000, track })
  const after = [cpuSeconds([server.child.pid!]), cpuSeconds(pids)]
  const allocated = await server.allocated()
  cursor.next = r.next
  return { ...r, eld: await server.eld(true), serverCpu: after[0]! - before[0]!, dbCpu: after[1]! - before[1]!, allocated, statements: await server.statements() - statements0 }
}

/** Rows for the acknowledged pushes: the ones missing (lost), and rows stored twice. */
async function audit (db: TestDatabase, acked: number[], base: bigint): Promise<{ stored: number, lost: number, duplicates: number }> {
  if (db.kind === 'embedded') return { stored: -1, lost: -1, duplicates: -1 }
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    const rows = (await client.query<{ msg_id: string }>('SELECT msg_id FROM customer_message')).rows
    const ids = new Set(rows.map((r) => r.msg_id))
    return { stored: rows.length, lost: acked.filter((i) => !ids.has((base + BigInt(i)).toString())).length, duplicates: rows.length - ids.size }
  } finally {
    await client.end()
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 1)} ms`
const verdict = (ok: boolean): string => ok ? 'MET' : 'NOT MET'
const say = (line: string): void => { console.log(line) }

const loadBefore = os.loadavg()[0]!
const base = 7_000_000_000_000_000_000n + BigInt(crypto.randomInt(1e9)) * 1_000_000n
const databases: TestDatabase[] = []
const servers: Server[] = []
try {
  console.log(`signing ${fmt(PUSHES)} distinct safe-mode pushes…`)
  const signed = await ask<{ ms: number }>({ op: 'sign', count: PUSHES, base: base.toString(), app: APP })
  console.log(`signed in ${(signed.ms / 1000).toFixed(1)} s`)

  // 1. The bare route: nothing is stored, so pushes may repeat.
  const bare = await startServer('bare')
  servers.push(bare)
  await run(bare.port, { mode: 'closed', connections: CONNECTIONS, from: 0, limit: Number.MAX_SAFE_INTEGER, cycle: true, durationMs: WARMUP_S * 1000 })
  const bareCpu0 = cpuSeconds([bare.child.pid!])
  await bare.allocated()
  const bareRun = await run(bare.port, { mode: 'closed', connections: CONNECTIONS, from: 0, limit: Number.MAX_SAFE_INTEGER, cycle: true, durationMs: DURATION_S * 1000 })
  const bareCpuUs = (cpuSeconds([bare.child.pid!]) - bareCpu0) / bareRun.answered * 1e6
  const bareAllocKb = await bare.allocated() / bareRun.answered / 1024
  const bareSteady = await run(bare.port, { mode: 'rate', rate: STEADY_RATE, from: 0, limit: PUSHES, durationMs: DURATION_S * 1000 })
  await bare.stop()
  console.log(`bare route: ${fmt(bareRun.rps)} req/s`)

  // 2. Express + wechat-crypto + pg.
  const expressDb = await createTestDatabase('bench_express')
  databases.push(expressDb)
  const express = await startServer('express', ingestEnv(expressDb, false))
  servers.push(express)
  const expressCursor = new Cursor()
  await saturate(express, expressCursor, WARMUP_S)
  const expressRun = await saturate(express, expressCursor, DURATION_S, false, expressDb)
  await express.stop()
  console.log(`Express receiver: ${fmt(expressRun.rps)} req/s`)

  // The database's floor at the steady rate (real PostgreSQL only: embedded PostgreSQL has one connection).
  let floor: FloorResult | undefined
  if (process.env.DATABASE_URL !== undefined) {
    const floorDb = await createTestDatabase('bench_floor', { migrate: false })
    databases.push(floorDb)
    floor = await measurePgFloor(floorDb.url, STEADY_RATE, DURATION_S * 1000)
  }

  // 3. Ingest from its start, one push at a time.
  const dbA = await createTestDatabase('bench_ingest')
  const dbB = await createTestDatabase('bench_ingest_nometrics')
  databases.push(dbA, dbB)
  const a = await startServer('ingest', ingestEnv(dbA, true))
  servers.push(a)
  const cursorA = new Cursor()
  const ackedA: number[] = []
  const cold = await run(a.port, { mode: 'serial', from: cursorA.next, limit: PUSHES, durationMs: COLD_S * 1000, track: true })
  cursorA.next = cold.next
  ackedA.push(...cold.acked!)
  console.log(`ingest, first ${COLD_S} s: p99 ${ms(cold.p99)}`)

  // 4. One push at a time on an otherwise idle machine, after the pushes of step 3 warmed it up (before the
  // saturation runs, whose hundred thousand rows would have PostgreSQL's autovacuum busy meanwhile).
  await a.eld(true)
  const serial = await run(a.port, { mode: 'serial', from: cursorA.next, limit: SERIAL, durationMs: 60_000, track: true })
  const serialEld = await a.eld(true)
  cursorA.next = serial.next
  ackedA.push(...serial.acked!)

  // 5. A steady offered rate, before the saturation runs for the same reason.
  await a.eld(true)
  const steady = await run(a.port, { mode: 'rate', rate: STEADY_RATE, from: cursorA.next, limit: PUSHES, durationMs: DURATION_S * 1000, track: true })
  const steadyEld = await a.eld(true)
  cursorA.next = steady.next
  ackedA.push(...steady.acked!)

  // 6. Saturation, warmed up, alternating with an ingest without metrics.
  const b = await startServer('ingest', ingestEnv(dbB, false))
  servers.push(b)
  const cursorB = new Cursor()
  const ackedB: number[] = []
  for (const [server, cursor, acked] of [[a, cursorA, ackedA], [b, cursorB, ackedB]] as const) {
    acked.push(...(await saturate(server, cursor, WARMUP_S, true)).acked!)
  }
  const rounds: Array<{ a: Saturation, b: Saturation }> = []
  // BENCH_ALLOC_PROFILE_DIR=<dir>: where ingest's allocations come from during its saturation rounds (the profiler
  // slows it down, so the figures of such a run are not the bench's).
  const profiling = process.env.BENCH_ALLOC_PROFILE_DIR !== undefined
  if (profiling) await a.allocationProfile(false)
  for (let round = 0; round < 2; round++) {
    const ra = await saturate(a, cursorA, DURATION_S / 2, true, dbA)
    const rb = await saturate(b, cursorB, DURATION_S / 2, true, dbB)
    ackedA.push(...ra.acked!)
    ackedB.push(...rb.acked!)
    rounds.push({ a: ra, b: rb })
  }
  const sum = (pick: (r: typeof rounds[number]) => Saturation) => {
    const runs = rounds.map(pick)
    const answered = runs.reduce((n, r) => n + r.answered, 0)
    const seconds = runs.reduce((n, r) => n + r.seconds, 0)
    return {
      rps: answered / seconds,
      p50: Math.max(...runs.map((r) => r.p50)),
      p99: Math.max(...runs.map((r) => r.p99)),
      errors: runs.reduce((n, r) => n + r.errors + r.non2xx, 0),
      eldP99: Math.max(...runs.map((r) => r.eld.p99)),
      eldMax: Math.max(...runs.map((r) => r.eld.max)),
      serverCpuUs: runs.reduce((n, r) => n + r.serverCpu, 0) / answered * 1e6,
      allocKb: runs.reduce((n, r) => n + r.allocated, 0) / answered / 1024,
      statementsPerPush: runs.reduce((n, r) => n + r.statements, 0) / answered,
      dbCpuUs: runs.reduce((n, r) => n + r.dbCpu, 0) / answered * 1e6,
      firstError: runs.find((r) => r.firstError !== undefined)?.firstError
    }
  }
  const satA = sum((r) => r.a)
  if (profiling) {
    const pushes = rounds.reduce((n, r) => n + r.a.answered, 0)
    console.log(`ingest's allocations during its saturation rounds, by function (sampled; written to ${process.env.BENCH_ALLOC_PROFILE_DIR}):`)
    for (const f of await a.allocationProfile(true)) console.log(`  ${(f.bytes / pushes).toFixed(0).padStart(6)} B per push  ${f.name}`)
  }
  const satB = sum((r) => r.b)
  await b.stop()
  await a.stop()

  const auditA = await audit(dbA, ackedA, base)
  const auditB = await audit(dbB, ackedB, base)
  const ingestErrors = [cold, steady, serial].reduce((n, r) => n + r.errors + r.non2xx, 0) + satA.errors + satB.errors
  const firstError = [cold, steady, serial].find((r) => r.firstError !== undefined)?.firstError ?? satA.firstError ?? satB.firstError
  const ratio = satA.rps / bareRun.rps
  const vsExpress = satA.rps / expressRun.rps
  const metricsCost = 1 - satA.rps / satB.rps

  console.log('')
  say(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, load average before ${loadBefore.toFixed(2)}; ${CONNECTIONS} connections, pool ${dbA.kind === 'embedded' ? 1 : POOL}, ${process.env.REDIS_URL !== undefined ? 'Redis' : 'no Redis'}, ${dbA.kind === 'embedded' ? 'embedded PostgreSQL' : 'PostgreSQL'}`)
  say(`bare Fastify route         : ${fmt(bareRun.rps).padStart(7)} req/s   p50 ${ms(bareRun.p50)}   p99 ${ms(bareRun.p99)}`)
  say(`Express+wechat-crypto+pg   : ${fmt(expressRun.rps).padStart(7)} req/s   p50 ${ms(expressRun.p50)}   p99 ${ms(expressRun.p99)}   errors ${expressRun.errors + expressRun.non2xx}   CPU ${(expressRun.serverCpu / expressRun.answered * 1e6).toFixed(0)} µs + PostgreSQL ${expressDb.kind === 'embedded' ? 'n/a' : `${(expressRun.dbCpu / expressRun.answered * 1e6).toFixed(0)} µs`} per push`)
  say(`ingest, metrics on         : ${fmt(satA.rps).padStart(7)} req/s   p50 ${ms(satA.p50)}   p99 ${ms(satA.p99)}   event-loop delay p99 ${ms(satA.eldP99)}, max ${ms(satA.eldMax)}`)
  say(`ingest, metrics off        : ${fmt(satB.rps).padStart(7)} req/s   p50 ${ms(satB.p50)}   p99 ${ms(satB.p99)}   event-loop delay p99 ${ms(satB.eldP99)}, max ${ms(satB.eldMax)}`)
  say(`CPU per request            : bare route ${bareCpuUs.toFixed(0)} µs; ingest ${satA.serverCpuUs.toFixed(0)} µs (${satB.serverCpuUs.toFixed(0)} µs without metrics) + PostgreSQL ${Number.isNaN(satA.dbCpuUs) || dbA.kind === 'embedded' ? 'n/a' : `${satA.dbCpuUs.toFixed(0)} µs`}`)
  // Issue 24's goals, each beside its floor measured in this run.
  const cpuRatio = satA.serverCpuUs / bareCpuUs
  const dbKnown = !Number.isNaN(satA.dbCpuUs) && dbA.kind !== 'embedded'
  const steadyRatio = floor === undefined ? NaN : steady.p99 / floor.p99
  say(`ratio to the bare route    : ${ratio.toFixed(2)}   (goal ≥ 0.40)  ${verdict(ratio >= 0.4)}`)
  say(`ratio to Express receiver  : ${vsExpress.toFixed(2)}   (goal ≥ 3.0, on the median of 5 runs)  ${verdict(vsExpress >= 3)} in this run`)
  say(`CPU per push ÷ bare route  : ${cpuRatio.toFixed(2)}   (goal ≤ 2.0)  ${verdict(cpuRatio <= 2)}   ingest ${satA.serverCpuUs.toFixed(0)} µs, floor: the bare route's ${bareCpuUs.toFixed(0)} µs`)
  say(`PostgreSQL CPU per push    : ${dbKnown ? `${satA.dbCpuUs.toFixed(0)} µs   (goal ≤ 30 µs)  ${verdict(satA.dbCpuUs <= 30)}   ${satA.statementsPerPush.toFixed(2)} group-commit statements per push; floor: a one-row durable INSERT's ${floor === undefined ? 'n/a' : `${floor.dbCpuUs.toFixed(0)} µs`}` : 'n/a (real PostgreSQL only)'}`)
  say(`V8 heap allocated per push : ${satA.allocKb.toFixed(1)} KB   (goal ≤ 10 KB)  ${verdict(satA.allocKb <= 10)}   floor: the bare route's ${bareAllocKb.toFixed(1)} KB per request`)
  say(`p99 at ${fmt(STEADY_RATE)}/s ÷ INSERT floor : ${Number.isNaN(steadyRatio) ? 'n/a' : `${steadyRatio.toFixed(2)}   (goal ≤ 1.0)  ${verdict(steadyRatio <= 1)}`}   ingest p99 ${ms(steady.p99)} (p50 ${ms(steady.p50)}, achieved ${fmt(steady.rps)}/s, sends late by ≤ ${ms(steady.sendLagP99)} (p99), event-loop delay p99 ${ms(steadyEld.p99)})`)
  say(`floors at ${fmt(STEADY_RATE)}/s          : one-row durable INSERT from node-postgres p99 ${floor === undefined ? 'n/a' : `${ms(floor.p99)} (p50 ${ms(floor.p50)}, max ${ms(floor.max)})`}; bare route p99 ${ms(bareSteady.p99)} (p50 ${ms(bareSteady.p50)})`)
  say(`p99 at saturation          : ${ms(satA.p99)}   (goal ≤ 25 ms)  ${verdict(satA.p99 <= 25)}`)
  say(`one at a time, idle        : p50 ${ms(serial.p50)} / p99 ${ms(serial.p99)}   (goal ≤ 2 / ≤ 4 ms)  ${verdict(serial.p50 <= 2 && serial.p99 <= 4)}   max ${ms(serial.max)}, event-loop delay max ${ms(serialEld.max)}`)
  say(`first ${COLD_S} s after a start  : p99 ${ms(cold.p99)}   (goal ≤ 25 ms)  ${verdict(cold.p99 <= 25)}   p50 ${ms(cold.p50)}, max ${ms(cold.max)}, ${fmt(cold.answered)} pushes`)
  say(`metrics cost               : ${(metricsCost * 100).toFixed(1)} % of throughput   (goal ≤ 5 %)  ${verdict(metricsCost <= 0.05)}`)
  if (auditA.stored >= 0) {
    const lost = auditA.lost + auditB.lost
    say(`lost, errors               : ${lost}, ${ingestErrors}   (goal 0, 0)  ${verdict(lost === 0 && ingestErrors === 0)}   ${fmt(ackedA.length + ackedB.length)} acknowledged, ${fmt(auditA.stored + auditB.stored)} stored, ${auditA.duplicates + auditB.duplicates} duplicate rows${firstError !== undefined ? `; first error: ${firstError}` : ''}`)
  } else {
    say(`errors                     : ${ingestErrors} (stored rows are audited on real PostgreSQL only)${firstError !== undefined ? `; first error: ${firstError}` : ''}`)
  }
  // For `pnpm bench:runs ingest 5` (scripts/bench-runs.mjs): this run's figures, one JSON line.
  if (process.env.BENCH_RESULTS !== undefined) {
    appendFileSync(process.env.BENCH_RESULTS, JSON.stringify({
      'ingest ÷ bare route': ratio,
      'ingest ÷ Express receiver': vsExpress,
      'ingest CPU per push ÷ bare route (×)': cpuRatio,
      'PostgreSQL CPU per push (µs)': dbKnown ? satA.dbCpuUs : null,
      'V8 heap allocated per push (KB)': satA.allocKb,
      'p99 at 1,000/s ÷ one-row INSERT p99': Number.isNaN(steadyRatio) ? null : steadyRatio,
      'p99 at saturation (ms)': satA.p99,
      'lost + errors': auditA.stored >= 0 ? auditA.lost + auditB.lost + ingestErrors : ingestErrors,
      'ingest (pushes/s)': satA.rps,
      'bare route (req/s)': bareRun.rps,
      'ingest CPU per push (µs)': satA.serverCpuUs,
      'bare route CPU per request (µs)': bareCpuUs,
      'group-commit statements per push': satA.statementsPerPush,
      'p99 at 1,000/s (ms)': steady.p99,
      'one-row INSERT p99 at 1,000/s (ms)': floor?.p99 ?? null,
      'one push at a time p50 (ms)': serial.p50,
      'one push at a time p99 (ms)': serial.p99
    }) + '\n')
  }
} finally {
  for (const s of servers) await s.stop()
  generator.kill()
  for (const db of databases) await db.drop()
}
