import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

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

function portFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => { resolve(false) })
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => { server.close(() => { resolve(true) }) })
  })
}

/** A BASE_PORT whose nine ports (the four services, the fake WeChat, the four metrics listeners) are free, far from the defaults 3000–3008. */
export async function freeBasePort (): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 30_000 + Math.floor(Math.random() * 30_000)
    let free = true
    for (let p = base; p < base + 9 && free; p++) free = await portFree(p)
    if (free) return base
  }
  throw new Error('no nine consecutive free ports found')
}

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

/**
 * Runs `node scripts/start.mjs` (what `pnpm start` runs after building) with exactly `vars` on top of PATH and HOME:
 * nothing else of this process's environment (DATABASE_URL, REDIS_URL…) leaks in. Resolves once the banner is out.
 */
export async function launch (t: Tap, vars: Record<string, string>): Promise<Launched> {
  const base = await freeBasePort()
  const child = spawn(process.execPath, [START], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE_PORT: String(base), ...vars },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  })
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (out.includes('kefu is running')) {
        child.stdout.off('data', check)
        child.off('exit', gone)
        resolve()
      }
    }
    const gone = (code: number | null): void => { reject(new Error(`pnpm start exited with ${code}: ${err.trim()}`)) }
    child.stdout.on('data', check)
    child.once('exit', gone)
  })
  return {
    child,
    base,
    stdout: () => out,
    stderr: () => err,
    url: (offset) => `http://127.0.0.1:${base + offset}`,
    logs: () => out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
  }
}

/** Runs the launcher expecting it to stop at start; resolves with its exit code and output. */
export async function launchExpectingExit (vars: Record<string, string>): Promise<Exited> {
  const base = await freeBasePort()
  const child = spawn(process.execPath, [START], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE_PORT: String(base), ...vars },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => {
    // A launcher that did start is stopped, so the test fails on its assertions instead of hanging.
    child.stdout.on('data', () => { if (stdout.includes('kefu is running')) child.kill('SIGTERM') })
    child.once('exit', (c) => { resolve(c) })
  })
  return { code, stdout, stderr }
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
