// The floor under ingest's latency at a steady rate, measured in the same run: what a durable one-row INSERT costs on
// this PostgreSQL at that rate from node-postgres, with nothing else in the way (no HTTP, no parsing, no group commit).
// Open loop like the load generator's 'rate' mode: a statement is due every 1/rate s whatever the answers, on a pool
// of two connections (ingest's two batches in flight); latency counts from the call, queueing in the pool included.
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { percentile } from './percentile.js'
import { cpuSeconds } from './processes.js'

export interface FloorResult {
  p50: number
  p99: number
  max: number
  /** CPU time of the PostgreSQL backends per row (µs): a durable commit each. */
  dbCpuUs: number
}

export async function measurePgFloor (url: string, rate: number, durationMs: number): Promise<FloorResult> {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  try {
    await pool.query('CREATE TABLE bench_floor (id bigserial PRIMARY KEY, k text NOT NULL UNIQUE, body text NOT NULL)')
    // Warm both connections and the prepared statement first.
    const insert = (k: string): Promise<unknown> => pool.query({ name: 'bench_floor_insert', text: 'INSERT INTO bench_floor (k, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', values: [k, BODY] })
    await Promise.all([insert('warm-0'), insert('warm-1')])
    const pids = (await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows.map((r) => r.pid)
    const cpu0 = cpuSeconds(pids)
    const latencies: number[] = []
    let sent = 0
    let failed: Error | undefined
    const start = performance.now()
    const total = Math.floor(durationMs * rate / 1000)
    await new Promise<void>((resolve) => {
      let answered = 0
      const tick = (): void => {
        const due = Math.min(total, Math.floor((performance.now() - start) * rate / 1000))
        while (sent < due) {
          const t = performance.now()
          insert(`k-${sent++}`).then(() => { latencies.push(performance.now() - t) }, (err: Error) => { failed ??= err }).finally(() => {
            if (++answered === total) resolve()
          })
        }
        if (sent < total) setTimeout(tick, 1)
      }
      tick()
    })
    if (failed !== undefined) throw failed
    const dbCpuUs = (cpuSeconds(pids) - cpu0) / total * 1e6
    const sorted = Float64Array.from(latencies).sort()
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: percentile(sorted, 1), dbCpuUs }
  } finally {
    await pool.end()
  }
}

/** About a stored push's size (the safe-mode Encrypt and the decrypted payload). */
const BODY = 'x'.repeat(1200)
