// pnpm bench:redis — how many Redis commands kefu sends per push (ingest) and per signed-in request and sign-in (A),
// counted by a Redis server of this run's own (INFO commandstats after CONFIG RESETSTAT), so nothing else that uses
// Redis on this machine is counted. Commands a Lua script runs are counted beside the EVALSHA that runs it. Ingest and A run in this process on DATABASE_URL (a database of this run's own)
// or the embedded PostgreSQL; requests go through Fastify's inject, which adds no Redis work. For docs/capacity.md.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import authApp, { upsertAccount } from '@kefu/auth'
import ingestApp from '@kefu/ingest'
import { createTestDatabase } from '@kefu/db/testing'
import { buildPush } from '@kefu/wechat-crypto'

const PUSHES = Number(process.env.BENCH_PUSHES ?? 500)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500)
const SIGN_INS = Number(process.env.BENCH_SIGN_INS ?? 50)
const APP = { appid: 'wxba5fad812f8e6fb9', token: 'benchToken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }
const PLAIN_APP = { appid: 'wx0123456789abcdef', token: 'benchToken' }

async function freePort () {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

/** A redis-server of this run's own, with nothing persisted; resolves when it accepts connections. */
async function startRedis () {
  const port = await freePort()
  const proc = spawn(process.env.REDIS_SERVER_PATH ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (chunk) => { out += chunk; if (out.includes('Ready to accept connections')) resolve() })
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)))
  })
  proc.stdout.resume()
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => { proc.kill('SIGKILL') } }
}

/** One command to the server and its raw answer (RESP), enough for CONFIG RESETSTAT and INFO. */
async function redisCommand (port, ...args) {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
  let data = ''
  for await (const chunk of socket) {
    data += chunk
    const bulk = /^\$(\d+)\r\n/.exec(data)
    if (data.startsWith('+') && data.endsWith('\r\n')) break
    if (bulk !== null && Buffer.byteLength(data) >= bulk[0].length + Number(bulk[1]) + 2) break
  }
  socket.destroy()
  return data
}

/** Commands by name since the last CONFIG RESETSTAT (the INFO and CONFIG calls of this script left out). */
async function countCommands (port) {
  const info = await redisCommand(port, 'INFO', 'commandstats')
  const counts = {}
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name === 'info' || name.startsWith('config')) continue
    counts[name] = Number(calls)
  }
  return counts
}

async function measure (redis, label, times, run) {
  await redisCommand(redis.port, 'CONFIG', 'RESETSTAT')
  for (let i = 0; i < times; i++) await run(i)
  const counts = await countCommands(redis.port)
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  const by = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${(n / times).toFixed(2)}`).join(', ')
  console.log(`| ${label} | ${times} | ${(total / times).toFixed(2)} | ${by || '—'} |`)
}

const redis = await startRedis()
const ingestDb = await createTestDatabase('bench_redis_ingest')
const authDb = await createTestDatabase('bench_redis_auth')
const ingest = Fastify({ logger: false })
const auth = Fastify({ logger: false })
try {
  await ingest.register(fp(ingestApp), { apps: [APP, PLAIN_APP], databaseUrl: ingestDb.url, poolMax: ingestDb.poolMax, redisUrl: redis.url, docs: false })
  await ingest.ready()
  await auth.register(fp(authApp), { publicUrl: 'http://127.0.0.1:3001', clients: [], session: { secret: 's'.repeat(40) }, databaseUrl: authDb.url, poolMax: authDb.poolMax, redisUrl: redis.url, scrypt: { N: 1024, r: 8, p: 1 }, loginLimits: { account: { max: 100_000, windowS: 60 }, ip: { max: 100_000, windowS: 60 } } })
  await auth.ready()
  await upsertAccount(auth.prisma, 'alice', 'alice-password-0123', { N: 1024, r: 8, p: 1 })

  console.log(`Redis ${(/redis_version:(\S+)/.exec(await redisCommand(redis.port, 'INFO', 'server')) ?? [])[1]}, PostgreSQL ${process.env.DATABASE_URL ? 'at DATABASE_URL' : 'embedded'}\n`)
  console.log('| what | times | Redis commands each | by command, each |')
  console.log('|---|---|---|---|')
  const push = (app, mode, first) => async (i) => {
    const fields = { ToUserName: 'gh_bench', FromUserName: `o_bench_${i % 50}`, CreateTime: String(1_760_000_000 + i), MsgType: 'text', Content: `push ${i}`, MsgId: String(first + i) }
    const built = buildPush({ ...app, mode, format: 'json', fields })
    const res = await ingest.inject({ method: 'POST', url: `/wechat/${app.appid}?${new URLSearchParams(built.query)}`, headers: { 'content-type': built.contentType }, payload: built.body })
    if (res.body !== 'success') throw new Error(`push ${i}: ${res.statusCode} ${res.body}`)
  }
  await measure(redis, 'ingest: a push, safe mode (stored, announced)', PUSHES, push(APP, 'safe', 9_000_000_000_000))
  await measure(redis, 'ingest: a push, plaintext mode (its nonce remembered, stored, announced)', PUSHES, push(PLAIN_APP, 'plain', 9_100_000_000_000))
  const [size] = await ingest.prisma.$queryRawUnsafe('SELECT count(*)::int AS rows, avg(pg_column_size(m.*))::int AS row_bytes FROM customer_message m')
  console.log(`| (customer_message after them: ${size.rows} rows, ${size.row_bytes} bytes a row before indexes) | | | |`)
  const login = async () => {
    const res = await auth.inject({ method: 'POST', url: '/login', headers: { origin: 'http://127.0.0.1:3001', 'content-type': 'application/json' }, payload: { username: 'alice', password: 'alice-password-0123' } })
    if (res.statusCode !== 200) throw new Error(`sign-in: ${res.statusCode} ${res.body}`)
    return res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  }
  await measure(redis, 'A: a sign-in (POST /login)', SIGN_INS, login)
  const cookie = await login()
  await measure(redis, 'A: a signed-in request (GET /me)', REQUESTS, async () => {
    const res = await auth.inject({ method: 'GET', url: '/me', headers: { cookie } })
    if (res.statusCode !== 200) throw new Error(`GET /me: ${res.statusCode} ${res.body}`)
  })
} finally {
  await ingest.close()
  await auth.close()
  await ingestDb.drop()
  await authDb.drop()
  redis.stop()
}
