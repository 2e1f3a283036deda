// A server for the ingest benchmark, in its own process (forked by ingest.bench.ts) so that neither the load generator
// nor another target shares its CPU:
//   tsx bench/server.ts bare     — a Fastify route that only answers success (the baseline)
//   tsx bench/server.ts ingest   — the ingest app (WECHAT_APPS, DATABASE_URL, REDIS_URL from the environment;
//                                  BENCH_METRICS=off leaves the metrics and their hooks out)
//   tsx bench/server.ts express  — Express + wechat-crypto + node-postgres, one INSERT per push (express-receiver.ts)
// It reports { op: 'listening', port } over IPC, then answers { op: 'eld' } with the event-loop delay (ms) measured
// since the last { op: 'eld', reset: true }, and { op: 'memory' } with process.memoryUsage() after a full GC when
// node runs with --expose-gc.
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { writeHeapSnapshot } from 'node:v8'
import Fastify, { LogController } from 'fastify'
import { createMetrics } from '@kefu/service'
import ingestApp from '../src/app.js'
import { appOptions, loadConfig } from '../src/config.js'
import { startExpressReceiver } from './express-receiver.js'

const mode = process.argv[2]
const RESOLUTION_MS = 2
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
delay.enable()

let port: number
let close: () => Promise<void>
if (mode === 'express') {
  const config = loadConfig(process.env)
  const app = config.apps[0]!
  const receiver = await startExpressReceiver({ appid: app.appid, token: app.token, encodingAESKey: app.encodingAESKey! }, config.databaseUrl!, config.poolMax)
  port = receiver.port
  close = receiver.close
} else {
  const fastify = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' }, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1024 * 1024 })
  if (mode === 'bare') {
    fastify.addContentTypeParser(['application/json', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
    fastify.post('/wechat/:appid', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('success'))
  } else {
    const config = loadConfig(process.env)
    // As server.ts starts it (appOptions: KEFU_SECRET_KEY too, so a restart opens the rows the last start sealed).
    await fastify.register(ingestApp, {
      ...appOptions(config),
      redisPrefix: `kefu:bench:${process.pid}:`,
      docs: false,
      metrics: process.env.BENCH_METRICS === 'off' ? createMetrics(false) : undefined,
      writeConcurrency: process.env.WRITE_CONCURRENCY !== undefined ? Number(process.env.WRITE_CONCURRENCY) : undefined
    })
  }
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  port = (fastify.server.address() as { port: number }).port
  close = () => fastify.close()
}

// The histogram holds the time between its timer's ticks, the resolution included: an idle loop reads ~2 ms.
const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS)
process.on('message', (msg: { op: string, reset?: boolean }) => {
  if (msg.op === 'memory') {
    (globalThis as { gc?: () => void }).gc?.()
    process.send!({ op: 'memory', ...process.memoryUsage() })
    return
  }
  if (msg.op === 'snapshot') {
    (globalThis as { gc?: () => void }).gc?.()
    process.send!({ op: 'snapshot', file: writeHeapSnapshot(path.join(process.env.BENCH_HEAP_SNAPSHOTS ?? '.', `ingest-${process.pid}.heapsnapshot`)) })
    return
  }
  if (msg.op !== 'eld') return
  process.send!({ op: 'eld', p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) })
  if (msg.reset === true) delay.reset()
})
process.on('SIGTERM', () => { void close().then(() => process.exit(0)) })
process.send!({ op: 'listening', port })
