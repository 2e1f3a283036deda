// The benches' processes: servers (server.ts) and load generators (load-generator.ts), each forked on its own so that
// none shares another's event loop, and driven over IPC.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { TestDatabase } from '@kefu/db/testing'
import type { RunCommand, RunResult } from './load-generator.js'
import { ingestNodeFlags } from './node-flags.js'

const tsx = ['--import', 'tsx']
const INGEST_NODE_FLAGS = ingestNodeFlags()

export interface Eld { p50: number, p99: number, max: number, mean: number }
export interface Memory { rss: number, heapUsed: number, heapTotal: number, external: number }
export interface Server {
  child: ChildProcess
  port: number
  /** From the fork to the server's first `listening` (the process's start, the app's and its database's). */
  startMs: number
  eld: (reset?: boolean) => Promise<Eld>
  /** Bytes allocated on V8's heap since the last call (or the start). */
  allocated: () => Promise<number>
  /** Starts V8's sampling heap profiler, or stops it and returns the functions that allocated most (bytes). */
  allocationProfile: (stop: boolean) => Promise<Array<{ name: string, bytes: number }>>
  /** Ingest's group-commit statements so far (NaN without metrics). */
  statements: () => Promise<number>
  /** process.memoryUsage() after a full garbage collection. */
  memory: () => Promise<Memory>
  /** Writes a heap snapshot (after a full GC) and returns its file. */
  heapSnapshot: () => Promise<string>
  stop: () => Promise<void>
}

async function answer<T> (child: ChildProcess, msg: object, op: string): Promise<T> {
  const reply = new Promise<T>((resolve) => {
    const listen = (m: { op: string }): void => {
      if (m.op !== op) return
      child.off('message', listen)
      resolve(m as T)
    }
    child.on('message', listen)
  })
  child.send(msg)
  return await reply
}

export async function startServer (mode: 'bare' | 'ingest' | 'express', env: NodeJS.ProcessEnv = {}): Promise<Server> {
  const started = performance.now()
  const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [mode], {
    env: { ...process.env, ...env },
    execArgv: [
      ...tsx,
      '--expose-gc',
      ...(mode === 'ingest' ? INGEST_NODE_FLAGS : []),
      ...(process.env.BENCH_PROFILE_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
      // Node options for the servers only (e.g. --trace-gc, --max-semi-space-size=32), not for the load generator.
      ...(process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter((o) => o !== '')
    ]
  })
  const [msg] = await Promise.race([
    once(child, 'message') as Promise<[{ op: string, port: number }]>,
    once(child, 'exit').then(([code]) => { throw new Error(`${mode} server exited with ${String(code)}`) })
  ])
  return {
    child,
    port: msg.port,
    startMs: performance.now() - started,
    async eld (reset = false) {
      return await answer<Eld>(child, { op: 'eld', reset }, 'eld')
    },
    async allocated () {
      return (await answer<{ bytes: number }>(child, { op: 'alloc' }, 'alloc')).bytes
    },
    async allocationProfile (stop: boolean) {
      return (await answer<{ top: Array<{ name: string, bytes: number }> }>(child, { op: 'alloc-profile', stop }, 'alloc-profile')).top
    },
    async statements () {
      return (await answer<{ count: number }>(child, { op: 'statements' }, 'statements')).count
    },
    async memory () {
      return await answer<Memory>(child, { op: 'memory' }, 'memory')
    },
    async heapSnapshot () {
      return (await answer<{ file: string }>(child, { op: 'snapshot' }, 'snapshot')).file
    },
    async stop () {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
  }
}

export interface Generator {
  ask: <T>(msg: object) => Promise<T>
  run: (port: number, cmd: Omit<RunCommand, 'op' | 'port'>) => Promise<RunResult>
  kill: () => void
}

export async function startGenerator (): Promise<Generator> {
  const generator = fork(fileURLToPath(new URL('./load-generator.ts', import.meta.url)), [], { execArgv: tsx })
  await once(generator, 'message')
  async function ask<T> (msg: object): Promise<T> {
    const reply = once(generator, 'message') as Promise<[T & { op: string, error?: string }]>
    generator.send(msg)
    const [got] = await reply
    if (got.op === 'failed') throw new Error(`load generator: ${got.error}`)
    return got
  }
  return {
    ask,
    run: async (port, cmd) => await ask<RunResult>({ op: 'run', port, ...cmd }),
    kill: () => { generator.kill() }
  }
}

/** CPU seconds (user + system) these processes have used (loopback only, so /proc shows them all); NaN without /proc. */
export function cpuSeconds (pids: number[]): number {
  let total = 0
  for (const pid of pids) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    } catch {
      if (!existsSync('/proc/self/stat')) return NaN
      continue
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  }
  return total
}
const CLOCK_TICKS = 100

/** The PostgreSQL backends serving a database (the target's connections). */
export async function backends (db: TestDatabase | undefined): Promise<number[]> {
  if (db === undefined || db.kind === 'embedded') return []
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    return (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid)
  } finally {
    await client.end()
  }
}
