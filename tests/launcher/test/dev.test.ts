// `pnpm dev` as people run it: kefu starts once on a clean start, and a saved source file restarts it exactly once.
// (It used to restart on every file the TypeScript watchers wrote: 15 restarts, and a crash, on a clean start.)
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { freeBasePort, ROOT } from './helper.js'

const BANNER = 'kefu is running'
/** How long nothing may happen, to call a start or a restart the only one (a restart takes seconds, even idle). */
const QUIET_MS = 3000

t.test('pnpm dev starts kefu once and restarts it once per saved change', { timeout: 240_000 }, async (t) => {
  const base = await freeBasePort()
  const dir = t.testdir({ data: {} })
  const startsFile = path.join(dir, 'starts')
  const counter = pathToFileURL(path.join(import.meta.dirname, 'count-starts.mjs')).href
  const child = spawn('pnpm', ['dev'], {
    cwd: ROOT,
    // Its own process group: stopping it stops pnpm, turbo, the watcher and kefu together.
    detached: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE_PORT: String(base), DATA_DIR: path.join(dir, 'data'), NODE_OPTIONS: `--import=${counter}`, KEFU_TEST_STARTS: startsFile },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM')
    await exited
  })
  const banners = (): number => out.split(BANNER).length - 1
  /** Every process that ran scripts/start.mjs, including any killed before it could print its banner. */
  const starts = (): number => existsSync(startsFile) ? readFileSync(startsFile, 'utf8').trim().split('\n').length : 0
  const waitFor = async (what: string, done: () => boolean): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => { if (done()) { child.stdout.off('data', check); child.off('exit', gone); resolve() } }
      const gone = (code: number | null): void => { reject(new Error(`pnpm dev exited with ${code} before ${what}: ${out.slice(-2000)}`)) }
      child.stdout.on('data', check)
      child.once('exit', gone)
      check()
    })
  }

  /** Waits for start number `n`, then checks ingest answers and that no other start follows within QUIET_MS. */
  async function started (n: number, what: string, once: string): Promise<void> {
    await waitFor(what, () => banners() >= n)
    t.equal((await fetch(`http://127.0.0.1:${base}/healthz`)).status, 200, `ingest answers after ${what}`)
    await sleep(QUIET_MS)
    t.equal(starts(), n, once)
    t.equal(banners(), n)
  }

  await started(1, 'its first start', 'a clean start starts kefu once')

  // A source file of a package every service uses, saved unchanged: what an editor's save does to the watcher.
  const source = path.join(ROOT, 'packages', 'service', 'src', 'config.ts')
  const now = new Date()
  utimesSync(source, now, now)
  await started(2, 'the restart', 'one change, one restart')
  t.notMatch(out, /EADDRINUSE|is in use by process|ERR_/, 'no start failed')
})
