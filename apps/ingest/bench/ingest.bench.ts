// pnpm bench:ingest — safe-mode pushes, each distinct and pre-signed, against the ingest route and, in the same run,
// against a bare Fastify route that only answers success. Prints req/s, the ratio, p50/p99, and acknowledged vs
// stored rows. Bounded: BENCH_DURATION_S seconds per target (default 10), BENCH_CONNECTIONS connections (default 50).
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import pg from 'pg'
import { createTestDatabase } from '@kefu/db/testing'
import { buildPush, messageFields } from '@kefu/wechat-crypto'

const DURATION = Number(process.env.BENCH_DURATION_S ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const POOL = Number(process.env.DATABASE_POOL_MAX ?? 10)
const APP = { appid: 'wxba5fad812f8e6fb9', token: 'benchToken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }
const PUSHES = Number(process.env.BENCH_PUSHES ?? 200_000)

if (process.env.DATABASE_URL === undefined) {
  console.log('note: DATABASE_URL is not set, so this measures the embedded PostgreSQL (PGlite, one connection); the goals are for real PostgreSQL')
}

console.log(`signing ${PUSHES} distinct safe-mode pushes…`)
const base = 7_000_000_000_000_000_000n + BigInt(crypto.randomInt(1e9)) * 1_000_000n
const pushes = Array.from({ length: PUSHES }, (_, i) => {
  const built = buildPush({
    ...APP,
    mode: 'safe',
    format: i % 2 === 0 ? 'json' : 'xml',
    fields: messageFields({ type: 'text', fromUserName: `o_bench_${i % 1000}`, msgId: base + BigInt(i), content: `第 ${i} 条消息：你好，请问订单什么时候发货？` })
  })
  return { path: `/wechat/${APP.appid}?${new URLSearchParams(built.query).toString()}`, body: built.body, contentType: built.contentType }
})

function startServer (mode: 'bare' | 'ingest', env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess, url: string }> {
  const profile = process.env.BENCH_PROFILE_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(new URL('./server.ts', import.meta.url)), mode], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /LISTENING (\S+)/.exec(out)
      if (m !== null) resolve({ child, url: m[1]! })
    })
    child.on('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)))
  })
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

interface Run { rps: number, p50: number, p99: number, ok: number, errors: number, non2xx: number, acked: Set<number> }

async function load (url: string): Promise<Run> {
  let next = 0
  const acked = new Set<number>()
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [{
      method: 'POST',
      setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
        const i = next++ % PUSHES
        context.i = i
        const p = pushes[i]!
        return { ...req, path: p.path, body: p.body, headers: { 'content-type': p.contentType } }
      },
      onResponse: (status: number, body: string, context: Record<string, unknown>) => {
        if (status === 200 && body === 'success') acked.add(context.i as number)
      }
    }]
  } as unknown as autocannon.Options)
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    acked
  }
}

const db = process.env.DATABASE_URL !== undefined ? await createTestDatabase('bench') : undefined
try {
  const bare = await startServer('bare', {})
  const baseline = await load(bare.url)
  await stop(bare.child)

  const env: NodeJS.ProcessEnv = { WECHAT_APPS: JSON.stringify([APP]), DATABASE_POOL_MAX: String(POOL) }
  if (db !== undefined) env.DATABASE_URL = db.url
  else delete env.DATABASE_URL
  const ingest = await startServer('ingest', env)
  const measured = await load(ingest.url)
  await stop(ingest.child)

  let stored = -1
  let missing = -1
  let duplicates = -1
  if (db !== undefined) {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const rows = (await client.query<{ msg_id: string }>('SELECT msg_id FROM customer_message')).rows
    const ids = new Set(rows.map((r) => r.msg_id))
    stored = rows.length
    duplicates = rows.length - ids.size
    missing = [...measured.acked].filter((i) => !ids.has((base + BigInt(i)).toString())).length
    await client.end()
  }
  const ratio = measured.rps / baseline.rps
  console.log(`\n${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${CONNECTIONS} connections, ${DURATION} s each, pool ${POOL}, ${process.env.REDIS_URL !== undefined ? 'Redis nonce cache' : 'in-process nonce cache'}`)
  console.log(`bare Fastify route : ${Math.round(baseline.rps).toLocaleString('en-US').padStart(7)} req/s   p50 ${baseline.p50} ms   p99 ${baseline.p99} ms`)
  console.log(`ingest (safe mode) : ${Math.round(measured.rps).toLocaleString('en-US').padStart(7)} req/s   p50 ${measured.p50} ms   p99 ${measured.p99} ms   errors ${measured.errors}, non-2xx ${measured.non2xx}`)
  console.log(`ratio ingest/bare  : ${ratio.toFixed(2)} (goal ≥ 0.5) ${ratio >= 0.5 ? 'MET' : 'NOT MET'}; p99 goal ≤ 25 ms ${measured.p99 <= 25 ? 'MET' : 'NOT MET'}`)
  if (db !== undefined) {
    console.log(`acknowledged ${measured.acked.size}, stored ${stored}, acknowledged but missing ${missing}, duplicate rows ${duplicates}`)
  } else {
    console.log(`acknowledged ${measured.acked.size} (stored rows are counted on real PostgreSQL only)`)
  }
} finally {
  await db?.drop()
}
