// A server for the ingest benchmark, in its own process (forked by ingest.bench.ts) so that neither the load generator
// nor another target shares its CPU:
//   tsx bench/server.ts bare     — a Fastify route that only answers success (the baseline)
//   tsx bench/server.ts ingest   — the ingest app (WECHAT_APPS, DATABASE_URL, REDIS_URL from the environment;
//                                  BENCH_METRICS=off leaves the metrics and their hooks out; WRITE_CONCURRENCY and
//                                  WRITE_OVERLAP_MS set the group commit's, for comparisons)
//   tsx bench/server.ts express  — Express + wechat-crypto + node-postgres, one INSERT per push (express-receiver.ts)
// It reports { op: 'listening', port } over IPC, then answers { op: 'eld' } with the event-loop delay (ms) measured
// since the last { op: 'eld', reset: true }, { op: 'alloc' } with the bytes allocated on V8's heap since the last
// { op: 'alloc' }, { op: 'statements' } with ingest's group-commit statements so far (metrics on),
// { op: 'alloc-profile', stop } by starting V8's sampling heap profiler or stopping it (allocationProfile), and
// { op: 'memory' } with process.memoryUsage() after a full GC when node runs with --expose-gc.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { GCProfiler, getHeapStatistics, writeHeapSnapshot } from 'node:v8'
import Fastify, { LogController } from 'fastify'
import { createMetrics, type Metrics } from '@kefu/service'
import ingestApp from '../src/app.js'
import { appOptions, loadConfig } from '../src/config.js'
import { startExpressReceiver } from './express-receiver.js'

const mode = process.argv[2]
const RESOLUTION_MS = 2
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
delay.enable()

let port: number
let metrics: Metrics | undefined
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
    metrics = createMetrics(process.env.BENCH_METRICS !== 'off')
    // As server.ts starts it (appOptions: KEFU_SECRET_KEY too, so a restart opens the rows the last start sealed).
    await fastify.register(ingestApp, {
      ...appOptions(config),
      redisPrefix: `kefu:bench:${process.pid}:`,
      docs: false,
      metrics,
      writeConcurrency: process.env.WRITE_CONCURRENCY !== undefined ? Number(process.env.WRITE_CONCURRENCY) : undefined,
      writeOverlapMs: process.env.WRITE_OVERLAP_MS !== undefined ? Number(process.env.WRITE_OVERLAP_MS) : undefined
    })
  }
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  port = (fastify.server.address() as { port: number }).port
  close = () => fastify.close()
}

/**
 * Bytes allocated on V8's heap between two takes: what the heap grew by between garbage collections, summed (the GC
 * profiler gives the heap's size before and after each one). Buffers' memory outside the heap is not counted.
 */
class Allocations {
  #profiler = new GCProfiler()
  #usedAtStart = getHeapStatistics().used_heap_size
  constructor () { this.#profiler.start() }

  /** The bytes allocated since the last take (or the start); counting starts again from now. */
  take (): number {
    const used = getHeapStatistics().used_heap_size
    const result = this.#profiler.stop()
    let bytes = 0
    let after = this.#usedAtStart
    for (const gc of result.statistics) {
      bytes += gc.beforeGC.heapStatistics.usedHeapSize - after
      after = gc.afterGC.heapStatistics.usedHeapSize
    }
    bytes += used - after
    this.#profiler = new GCProfiler()
    this.#usedAtStart = used
    this.#profiler.start()
    return bytes
  }
}
const allocations = new Allocations()

/**
 * V8's sampling heap profiler, counting the objects garbage collections have freed too (not only those still live),
 * so the profile says where a push's allocations come from. `stop` writes it to BENCH_ALLOC_PROFILE_DIR (open it in
 * Chrome DevTools' Memory tab) and returns the functions that allocated most, in bytes.
 */
let inspector: Session | undefined
async function allocationProfile (stop: boolean): Promise<Array<{ name: string, bytes: number }>> {
  if (!stop) {
    inspector = new Session()
    inspector.connect()
    await inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object)
    return []
  }
  if (inspector === undefined) return []
  const { profile } = await inspector.post('HeapProfiler.stopSampling')
  inspector.disconnect()
  inspector = undefined
  writeFileSync(path.join(process.env.BENCH_ALLOC_PROFILE_DIR ?? '.', `ingest-${process.pid}-${Date.now()}.heapprofile`), JSON.stringify(profile))
  const bytes = new Map<string, number>()
  const walk = (node: typeof profile.head): void => {
    const f = node.callFrame
    const name = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${f.url.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^file:\/\/.*\/kefu[^/]*\//, '').replace(/^file:\/\/.*?\/(apps|packages)\//, '$1/')}:${f.lineNumber + 1}`
    bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child)
  }
  walk(profile.head)
  return [...bytes].map(([name, n]) => ({ name, bytes: n })).sort((a, b) => b.bytes - a.bytes).slice(0, 20)
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
  if (msg.op === 'statements') {
    // Group-commit statements so far, from ingest's batch-size histogram (metrics on only).
    const histogram = metrics?.registry?.getSingleMetric('kefu_ingest_commit_batch_size') as { get: () => Promise<{ values: Array<{ metricName?: string, value: number }> }> } | undefined
    void (histogram === undefined ? Promise.resolve(NaN) : histogram.get().then((h) => h.values.find((v) => v.metricName === 'kefu_ingest_commit_batch_size_count')?.value ?? 0))
      .then((count) => process.send!({ op: 'statements', count }))
    return
  }
  if (msg.op === 'alloc-profile') {
    void allocationProfile((msg as { stop?: boolean }).stop === true).then((top) => process.send!({ op: 'alloc-profile', top }))
    return
  }
  if (msg.op === 'alloc') {
    process.send!({ op: 'alloc', bytes: allocations.take() })
    return
  }
  if (msg.op !== 'eld') return
  process.send!({ op: 'eld', p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) })
  if (msg.reset === true) delay.reset()
})
process.on('SIGTERM', () => { void close().then(() => process.exit(0)) })
process.send!({ op: 'listening', port })
