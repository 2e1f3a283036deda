// Process control for the load-balancer suite: each kefu service as its own child process (`node apps/<app>/dist/
// server.js`, its environment only: nothing of this process's leaks in), started on a port that stays its own across
// restarts, killed with SIGKILL as a crash would or stopped with SIGTERM as a rolling restart does.
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RESERVED_PORTS, ephemeralPortLow, portFree } from '@kefu/service/testing'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..')

const taken = new Set<number>()

/** A free port from 20000 up to the ephemeral range, none of SPEC's reserved ones nor the Redis Cluster's, not handed out before. */
export async function freePort (): Promise<number> {
  // Below the kernel's range for outgoing connections, so that no client socket takes it between the check and the bind.
  const low = ephemeralPortLow()
  const high = low !== undefined && low > 21_000 ? low : 32_768
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (high - 20_000))
    if (RESERVED_PORTS.has(port) || taken.has(port)) continue
    if (await portFree(port)) {
      taken.add(port)
      return port
    }
  }
  throw new Error('no free port found from 20000 up')
}

/** Starts that failed on a plugin timeout and were tried again (printed by the suite). */
export const restarts: string[] = []

export type AppName = 'ingest' | 'auth' | 'sync' | 'console'

export interface ServiceProcess {
  /** e.g. `ingest1`: also its server name in HAProxy's configuration. */
  readonly name: string
  readonly app: AppName
  readonly port: number
  readonly url: string
  readonly child: ChildProcess | undefined
  /** Everything it wrote on stdout and stderr since it was last started. */
  output: () => string
  /** Starts it (again, on the same port) and resolves once its /readyz answers 200. */
  start: () => Promise<void>
  /** SIGKILL, as a crash; resolves once it is gone. */
  kill9: () => Promise<void>
  /** SIGTERM, as a rolling restart; resolves with its exit code and how long it took to exit. */
  terminate: () => Promise<{ code: number | null, ms: number }>
}

async function readyz (url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url + '/readyz', { signal: AbortSignal.timeout(2000) })
    await res.arrayBuffer()
    return res.status
  } catch {
    return undefined
  }
}

export function serviceProcess (name: string, app: AppName, port: number, env: Record<string, string>): ServiceProcess {
  const url = `http://127.0.0.1:${port}`
  const server = path.join(ROOT, 'apps', app, 'dist', 'server.js')
  let child: ChildProcess | undefined
  let out = ''
  let exited: Promise<number | null> = Promise.resolve(null)
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null
  const gone = async (): Promise<void> => { await exited }
  const startOnce = async (): Promise<void> => {
    out = ''
    const c = spawn(process.execPath, [server], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child = c
    c.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString() })
    c.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString() })
    exited = new Promise((resolve) => { c.once('exit', (code) => { resolve(code) }) })
    const deadline = Date.now() + 60_000
    while (await readyz(url) !== 200) {
      if (!alive()) throw new Error(`${name} exited at start: ${out.trim().slice(-2000)}`)
      if (Date.now() > deadline) throw new Error(`${name}: /readyz did not answer 200 within 60 s: ${out.trim().slice(-2000)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return {
    name,
    app,
    port,
    url,
    get child () { return child },
    output: () => out,
    async start () {
      if (alive()) throw new Error(`${name} is already running`)
      // On a crowded machine a service may miss Fastify's 10 s plugin timeout at start and exit: a supervisor
      // (compose's restart policy, systemd) starts it again, and so does this, twice at most, saying so.
      for (let attempt = 1; ; attempt++) {
        try {
          await startOnce()
          return
        } catch (err) {
          if (attempt === 3 || !/did not start in time/.test((err as Error).message)) throw err
          restarts.push(`${name}: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`)
        }
      }
    },
    async kill9 () {
      if (alive()) child!.kill('SIGKILL')
      await gone()
    },
    async terminate () {
      const at = Date.now()
      if (alive()) child!.kill('SIGTERM')
      const code = await exited
      return { code, ms: Date.now() - at }
    }
  }
}
