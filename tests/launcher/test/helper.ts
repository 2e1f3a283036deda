import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RESERVED_PORTS, ephemeralPortLow, portFree } from '@kefu/service/testing'

interface Tap {
  teardown: (fn: () => unknown) => void
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const START = path.join(ROOT, 'scripts', 'start.mjs')

export function realServers (): { databaseUrl: string, redisUrl: string } | undefined {
  const databaseUrl = process.env.DATABASE_URL
  const redisUrl = process.env.REDIS_URL
  if (databaseUrl === undefined || databaseUrl === '' || redisUrl === undefined || redisUrl === '') return undefined
  return { databaseUrl, redisUrl }
}

const LOWEST_BASE = 20_000

/** A random BASE_PORT whose eleven ports lie below the ephemeral range (when there is room) and hold no reserved port. */
export function basePortCandidate (): number {
  // Below where the kernel picks ports for outgoing connections (elsewhere than Linux: 49152 and up), a base cannot be
  // taken by some other test's client socket between our check and the launcher's bind.
  const low = ephemeralPortLow() ?? 49_152
  const highest = low - 11 > LOWEST_BASE + 1000 ? low - 11 : 65_525
  for (;;) {
    const base = LOWEST_BASE + Math.floor(Math.random() * (highest - LOWEST_BASE + 1))
    if (![...RESERVED_PORTS].some((p) => p >= base && p < base + 11)) return base
  }
}

/** A BASE_PORT whose eleven ports (the four services, the fake WeChat, the four metrics listeners, the worker and its metrics) are free now, far from the defaults 3000–3010. */
export async function freeBasePort (): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = basePortCandidate()
    let free = true
    for (let p = base; p < base + 11 && free; p++) free = await portFree(p)
    if (free) return base
  }
  throw new Error('no eleven consecutive free ports found')
}

/**
 * Free ports checked now may be taken before the launcher binds them (another test's server): the launcher then
 * stops with EADDRINUSE, and is started again on other ports. Any other stop is the test's business.
 */
const START_ATTEMPTS = 5
const PORT_TAKEN = /EADDRINUSE/

export interface Launched {
  child: ChildProcess
  base: number
  /** Everything written to standard output so far (the banner and the services' JSON log lines). */
  stdout: () => string
  stderr: () => string
  url: (offset: number) => string
  /** The services' JSON log lines, parsed. */
  logs: () => Array<Record<string, unknown>>
}

export interface Exited { code: number | null, stdout: string, stderr: string }

interface Started {
  child: ChildProcess
  out: () => string
  err: () => string
  exited: Promise<number | null>
  /** Resolves true once the banner is out, false if the launcher exits first. */
  running: Promise<boolean>
}

/** `node scripts/start.mjs` with exactly `vars` on top of PATH, HOME and BASE_PORT. */
function start (vars: Record<string, string>, base: number): Started {
  const child = spawn(process.execPath, [START], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE_PORT: String(base), ...vars },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => { child.once('exit', (code) => { resolve(code) }) })
  const running = new Promise<boolean>((resolve) => {
    const check = (): void => { if (out.includes('kefu is running')) resolve(true) }
    child.stdout.on('data', check)
    void exited.then(() => { resolve(false) })
  })
  return { child, out: () => out, err: () => err, exited, running }
}

/**
 * Runs `node scripts/start.mjs` (what `pnpm start` runs after building) with exactly `vars` on top of PATH and HOME:
 * nothing else of this process's environment (DATABASE_URL, REDIS_URL…) leaks in. Resolves once the banner is out.
 * `firstBase`: the BASE_PORT of the first attempt, unchecked (for the test of the retry itself).
 */
export async function launch (t: Tap, vars: Record<string, string>, options: { firstBase?: number } = {}): Promise<Launched> {
  for (let attempt = 1; ; attempt++) {
    const base = attempt === 1 && options.firstBase !== undefined ? options.firstBase : await freeBasePort()
    const s = start(vars, base)
    t.teardown(async () => {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM')
      await s.exited
    })
    if (await s.running) {
      return {
        child: s.child,
        base,
        stdout: s.out,
        stderr: s.err,
        url: (offset) => `http://127.0.0.1:${base + offset}`,
        logs: () => s.out().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
      }
    }
    const code = await s.exited
    if (!PORT_TAKEN.test(s.err()) || attempt === START_ATTEMPTS) throw new Error(`pnpm start exited with ${code}: ${s.err().trim()}`)
  }
}

/** Runs the launcher expecting it to stop at start; resolves with its exit code and output. */
export async function launchExpectingExit (vars: Record<string, string>): Promise<Exited> {
  for (let attempt = 1; ; attempt++) {
    const s = start(vars, await freeBasePort())
    // A launcher that did start is stopped, so the test fails on its assertions instead of hanging.
    if (await s.running) s.child.kill('SIGTERM')
    const code = await s.exited
    if (!PORT_TAKEN.test(s.err()) || attempt === START_ATTEMPTS) return { code, stdout: s.out(), stderr: s.err() }
  }
}

/** A's JSON login from A's own origin; the session cookie (name=value) when it succeeded. */
export async function login (authUrl: string, username: string, password: string, headers: Record<string, string> = {}): Promise<{ status: number, cookie?: string, cookieName?: string }> {
  const res = await fetch(authUrl + '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: authUrl, 'sec-fetch-site': 'same-origin', ...headers },
    body: JSON.stringify({ username, password })
  })
  await res.arrayBuffer()
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => /^(__Host-)?kefu_auth=/.test(c))
  return { status: res.status, cookie: session, cookieName: session?.split('=')[0] }
}
