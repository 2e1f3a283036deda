// SIGTERM on a real ingest process (its built server, as deployed) while a load balancer's worth of traffic arrives:
// /readyz answers 503 at once, every push sent during the drain is answered `success` and stored, and the process
// exits after DRAIN_MS. A steady keep-alive client that never retries stands in for the load balancer's connections.
import t from 'tap'
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { createPrismaClient } from '@kefu/db'
import { fields, push, SAFE_APP } from './helper.js'

// Long enough that a busy machine still sees /readyz turn well within it: embedded PostgreSQL runs in this process and
// stalls it while it commits the child's pushes, more so beside other test files.
const DRAIN_MS = 3000
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url))
const DATABASE = fileURLToPath(new URL('./fixtures/database-process.ts', import.meta.url))

interface Sent { at: number, msgId: string, status?: number, body?: string, error?: string }

/** One request on `agent`, never retried: its status and body, or the error that ended it. */
function request (agent: http.Agent, url: string, options: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode!, body }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

const until = async (what: string, check: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('SIGTERM: /readyz 503 at once, every push during the drain answered and stored, exit after DRAIN_MS', async (t) => {
  const dbProcess = spawn(process.execPath, ['--import', 'tsx', DATABASE, 'ingest_drain'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const dbExited = new Promise((resolve) => { dbProcess.once('exit', resolve) })
  t.teardown(async () => { dbProcess.kill('SIGTERM'); await dbExited })
  const db = await new Promise<{ url: string, poolMax: number }>((resolve, reject) => {
    let text = ''
    dbProcess.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('\n')) resolve(JSON.parse(text.slice(0, text.indexOf('\n'))))
    })
    dbProcess.once('exit', (code) => { reject(new Error(`the database process exited with ${code}`)) })
  })
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: String(db.poolMax),
    WECHAT_APPS: JSON.stringify([SAFE_APP]),
    PORT: '0',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DRAIN_MS: String(DRAIN_MS),
    // Required with DATABASE_URL, as in a deployment.
    KEFU_SECRET_KEY: `k1:${crypto.randomBytes(32).toString('base64')}`
  }
  // In-process stores: the drain is about the listener and the database, not Redis (and leaves no keys behind).
  delete env.REDIS_URL
  delete env.REDIS_CLUSTER_URLS
  const child = spawn(process.execPath, ['--no-allocation-site-pretenuring', SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<{ code: number | null, at: number }>((resolve) => { child.once('exit', (code) => { resolve({ code, at: Date.now() }) }) })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let out = ''
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await until('ingest announces its URL', () => /ingest listening on http:\/\/\S+?:/.test(out) || child.exitCode !== null, 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}: ${out}${err}`) })
  const base = /ingest listening on (http:\/\/[^:]+:\d+)/.exec(out)?.[1]
  if (base === undefined) throw new Error(`ingest did not start: ${out}${err}`)

  // The load balancer's side: one keep-alive connection at a time, pushes one after another, never retried.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => { agent.destroy() })
  const sent: Sent[] = []
  // Set at SIGTERM: the load balancer takes its time to notice (two failed checks), so pushes go on for half of DRAIN_MS.
  let stopAt = Infinity
  const client = (async () => {
    while (Date.now() < stopAt) {
      const f = fields('text', { content: 'drain' })
      const built = push(SAFE_APP, 'safe', 'json', f)
      const entry: Sent = { at: Date.now(), msgId: String(f.MsgId) }
      sent.push(entry)
      try {
        const res = await request(agent, `${base}/wechat/${SAFE_APP.appid}?${new URLSearchParams(built.query).toString()}`, {
          method: 'POST', headers: { 'content-type': built.contentType }, body: built.body
        })
        entry.status = res.status
        entry.body = res.body
      } catch (e) {
        entry.error = (e as NodeJS.ErrnoException).code ?? (e as Error).message
      }
    }
  })()
  await until('pushes flow before the signal', () => sent.filter((s) => s.status === 200).length >= 20, 30_000)

  const signalled = Date.now()
  stopAt = signalled + DRAIN_MS / 2
  child.kill('SIGTERM')
  // The health checker's side: a new connection each time, as HAProxy's checks.
  const probes = new http.Agent({ keepAlive: false })
  // Probes go out every 20 ms whatever the earlier ones are waiting for, each timed by when it was sent.
  let readyzAfter: number | undefined
  let readyzBody = ''
  const answers: string[] = []
  const inFlight: Array<Promise<void>> = []
  const prober = setInterval(() => {
    const at = Date.now() - signalled
    inFlight.push(request(probes, `${base}/readyz`).then((r) => {
      answers.push(`sent at ${at} ms: ${r.status}`)
      if (r.status === 503 && (readyzAfter === undefined || at < readyzAfter)) {
        readyzAfter = at
        readyzBody = r.body
      }
    }, (e: NodeJS.ErrnoException) => { answers.push(`sent at ${at} ms: ${e.code ?? e.message}`) }))
  }, 20)
  await until('/readyz answers 503', () => readyzAfter !== undefined, DRAIN_MS / 2).catch(() => {})
  clearInterval(prober)
  await Promise.all(inFlight)
  t.ok(readyzAfter !== undefined && readyzAfter < DRAIN_MS / 2, `/readyz answers 503 soon after SIGTERM (after ${readyzAfter ?? 'never'} ms)`, { answers })
  t.same(JSON.parse(readyzBody || '{}'), { status: 'draining' }, 'and says why')
  await client

  const during = sent.filter((s) => s.at >= signalled)
  const failed = sent.filter((s) => s.status !== 200 || s.body !== 'success')
  t.comment(`${sent.length} pushes, ${during.length} sent after SIGTERM, ${failed.length} failed`)
  t.ok(during.length > 0, `pushes kept coming during the drain (${during.length})`)
  t.same(failed.map((s) => `${s.at - signalled} ms: ${s.status ?? s.error ?? ''} ${s.body ?? ''}`), [], 'every push, before and during the drain, was answered success')

  const { code, at } = await exited
  t.equal(code, 0, `exit 0${code === 0 ? '' : `: ${err}`}`)
  t.ok(at - signalled >= DRAIN_MS, `exited after DRAIN_MS (${at - signalled} ms)`)
  t.ok(at - signalled < DRAIN_MS + 10_000, 'and not much later')
  t.match(out, `SIGTERM received: draining for ${DRAIN_MS} ms`, 'the log says it drains')

  // Every acknowledged push is in the database (the process has let go of it: embedded PostgreSQL takes one client).
  const prisma = createPrismaClient({ url: db.url, poolMax: 1 })
  t.teardown(() => prisma.$disconnect())
  const acknowledged = sent.filter((s) => s.status === 200 && s.body === 'success').map((s) => s.msgId)
  const stored = await prisma.customerMessage.findMany({ where: { appId: SAFE_APP.appid, msgId: { in: acknowledged } }, select: { msgId: true } })
  t.equal(stored.length, acknowledged.length, `all ${acknowledged.length} acknowledged pushes are stored`)
})
