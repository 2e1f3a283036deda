// pnpm test — builds and runs every workspace's tap tests (turbo, one package at a time), then prints what ran.
// `pnpm test --filter <package>` (or --filter=<package>, repeatable) runs those workspaces' tests alone: pnpm takes
// --filter for itself and runs each selected workspace's own `test` script, which is this script again, run from that
// workspace (so it filters to it). Each workspace's `test:tap` is tap itself, what turbo runs. --dry-run prints the
// workspaces whose tests would run, and runs nothing.
//
// Two modes, chosen by the environment:
// - real: DATABASE_URL and REDIS_URL both set. Every test runs against those servers; a test that needs one of them
//   and cannot reach it fails. Nothing may be skipped: a skipped test fails the run (KEFU_TEST_SERVICES=real makes a
//   half-set environment an error too, so CI cannot silently fall back to the embedded run).
// - embedded: neither set. Embedded PostgreSQL (PGlite) and the in-process stores; tests that need a real server
//   (two transactions racing, Redis pub/sub across processes, two instances of a service) are skipped and counted.
// The real run also starts a local 3-master Redis Cluster (scripts/redis-cluster.mjs; or uses REDIS_CLUSTER_URLS when
// set) and hands REDIS_CLUSTER_URLS to the tests, whose Redis-backed suites then run against it too; it fails when
// the cluster cannot start.
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRedisCluster } from './redis-cluster.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const env = process.env
const databaseUrl = env.DATABASE_URL?.trim() || undefined
const redisUrl = env.REDIS_URL?.trim() || undefined
let clusterUrls = env.REDIS_CLUSTER_URLS?.trim() || undefined
/** The cluster this run started (stopped before it exits). */
let cluster
const wanted = env.KEFU_TEST_SERVICES

function fail (line) {
  process.stderr.write(`pnpm test: ${line}\n`)
  stopCluster()
  process.exit(1)
}

/** Kills the nodes of the cluster this run started (synchronously: it also runs on the way out). */
function stopCluster () {
  if (cluster === undefined) return
  const dir = cluster.dir
  cluster = undefined
  spawnSync(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'redis-cluster.mjs'), 'stop', '--dir', dir], { stdio: 'inherit' })
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { stopCluster(); process.exit(130) })

/** --filter X / --filter=X (turbo's package selectors), --dry-run; anything else goes to turbo as it is. */
function readArgs (argv) {
  const filters = []
  const rest = []
  let dryRun = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--dry-run') dryRun = true
    else if (arg.startsWith('--filter=')) filters.push(arg.slice('--filter='.length))
    else if (arg === '--filter' || arg === '-F') {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('-')) fail(`${arg} needs a package, e.g. ${arg} @kefu/console`)
      filters.push(argv[++i])
    } else rest.push(arg)
  }
  if (filters.some((f) => f === '')) fail('--filter= needs a package, e.g. --filter=@kefu/console')
  return { filters, rest, dryRun }
}

/** The workspace whose own `test` script started this run (pnpm test --filter X, or pnpm test inside a workspace). */
function callingWorkspace () {
  if (env.npm_lifecycle_event !== 'test' || env.npm_package_json === undefined) return undefined
  const dir = path.dirname(env.npm_package_json)
  if (path.resolve(dir) === root) return undefined
  return JSON.parse(readFileSync(env.npm_package_json, 'utf8')).name
}

const args = readArgs(process.argv.slice(2))
const workspace = callingWorkspace()
if (workspace !== undefined) args.filters.push(workspace)

/** The URL with its password hidden (as printed in this run's messages). */
const redact = (url) => url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')

/** Resolves when a TCP connection to the URL's host and port opens within 3 s. */
function reachable (url, defaultPort) {
  const u = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defaultPort) })
    const done = (ok) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(3000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const real = databaseUrl !== undefined && redisUrl !== undefined
if (wanted !== undefined && wanted !== 'real' && wanted !== 'embedded') fail(`KEFU_TEST_SERVICES must be real or embedded, got "${wanted}"`)
if (wanted === 'real' && !real) fail(`KEFU_TEST_SERVICES=real needs both DATABASE_URL and REDIS_URL (DATABASE_URL is ${databaseUrl ? 'set' : 'unset'}, REDIS_URL is ${redisUrl ? 'set' : 'unset'})`)
if (wanted === 'embedded' && (databaseUrl !== undefined || redisUrl !== undefined)) fail('KEFU_TEST_SERVICES=embedded needs DATABASE_URL and REDIS_URL unset')
if (!real && clusterUrls !== undefined) fail('REDIS_CLUSTER_URLS is set without DATABASE_URL and REDIS_URL: the cluster is tested in the real run only')
if (!real && (databaseUrl !== undefined || redisUrl !== undefined)) {
  fail(`set both DATABASE_URL and REDIS_URL (real servers) or neither (embedded); only ${databaseUrl ? 'DATABASE_URL' : 'REDIS_URL'} is set`)
}
if (real) {
  if (!await reachable(databaseUrl, 5432)) fail(`PostgreSQL at DATABASE_URL ${redact(databaseUrl)} does not answer`)
  if (!await reachable(redisUrl, 6379)) fail(`Redis at REDIS_URL ${redact(redisUrl)} does not answer`)
  if (clusterUrls === undefined && !args.dryRun) {
    try {
      cluster = await startRedisCluster()
    } catch (err) {
      fail(`the Redis Cluster of the real run did not start: ${err.message}`)
    }
    clusterUrls = cluster.urls.join(',')
  } else if (clusterUrls !== undefined) {
    for (const url of clusterUrls.split(',')) if (!await reachable(url.trim(), 6379)) fail(`Redis Cluster node ${redact(url.trim())} (REDIS_CLUSTER_URLS) does not answer`)
  }
}
const mode = real
  ? `real PostgreSQL (${redact(databaseUrl)}), Redis (${redact(redisUrl)}) and a Redis Cluster (${clusterUrls ? clusterUrls.split(',').map(redact).join(',') : 'none in a dry run'})`
  : 'embedded PostgreSQL and in-process stores'
process.stdout.write(`pnpm test: ${mode}\n`)

const turboArgs = ['run', 'test:tap', '--concurrency=1', ...args.filters.map((f) => `--filter=${f}`), ...args.rest]
if (args.dryRun) {
  const dry = spawnSync('pnpm', ['exec', 'turbo', ...turboArgs, '--dry=json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (dry.status !== 0) fail(`turbo ${turboArgs.join(' ')} --dry=json failed: ${(dry.stderr || dry.stdout).trim()}`)
  const tests = JSON.parse(dry.stdout).tasks.filter((task) => task.task === 'test:tap' && task.command !== '<NONEXISTENT>').map((task) => task.package).sort()
  process.stdout.write(`pnpm test --dry-run: turbo ${turboArgs.join(' ')}\npnpm test --dry-run: would run the tests of ${tests.join(' ') || 'no workspace'}\n`)
  process.exit(tests.length > 0 ? 0 : 1)
}

// In the real run every test's Redis keys live under this run's own root (@kefu/service/testing testKeyPrefix), so
// that keys a test file left behind are found at the end, whatever else uses the same Redis.
const keyRoot = real ? `kefu:test:run-${crypto.randomBytes(6).toString('hex')}:` : undefined
const started = Date.now()
const turbo = spawn('pnpm', ['exec', 'turbo', ...turboArgs], {
  cwd: root,
  stdio: 'inherit',
  env: { ...env, KEFU_TEST_SERVICES: real ? 'real' : 'embedded', ...(keyRoot ? { KEFU_TEST_KEY_ROOT: keyRoot, REDIS_CLUSTER_URLS: clusterUrls } : {}) }
})
const code = await new Promise((resolve) => turbo.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))))

/** Every tap result file written by this run, per workspace. */
function results () {
  const out = []
  for (const group of ['apps', 'packages', 'tests']) {
    const dir = path.join(root, group)
    let names = []
    try { names = readdirSync(dir) } catch { continue }
    for (const name of names) {
      const base = path.join(dir, name, '.tap', 'test-results')
      const files = []
      const walk = (d) => {
        let entries = []
        try { entries = readdirSync(d, { withFileTypes: true }) } catch { return }
        for (const e of entries) {
          const p = path.join(d, e.name)
          if (e.isDirectory()) walk(p)
          else if (e.name.endsWith('.tap') && statSync(p).mtimeMs >= started) files.push(p)
        }
      }
      walk(base)
      if (files.length > 0) out.push({ workspace: `${group}/${name}`, files })
    }
  }
  return out
}

/** Reports (per label and test file) and removes the keys the tests of this run left under `keyRoot` on `target`. */
async function leftoverKeys (keyRoot, target) {
  const { closeRedisClient, createRedisClient } = await import('@kefu/service')
  const { deleteKeysUnder, keysUnder } = await import('@kefu/service/testing')
  const client = await createRedisClient(target)
  try {
    const keys = await keysUnder(client, keyRoot)
    if (keys.length === 0) return 0
    const byFile = new Map()
    for (const key of keys) {
      const [label, file] = key.slice(keyRoot.length).split(':')
      byFile.set(`${label} ${file}`, (byFile.get(`${label} ${file}`) ?? 0) + 1)
    }
    process.stdout.write(`\n  Redis keys left behind by the tests (under ${keyRoot}${typeof target === 'string' ? '' : ', on the cluster'}):\n${[...byFile].map(([where, n]) => `    ${where}.test: ${n}`).join('\n')}\n`)
    await deleteKeysUnder(client, keyRoot)
    return keys.length
  } finally {
    await closeRedisClient(client)
  }
}

const OK = /^(\s*)(not ok|ok) \d+(?: - (.*?))?(?: # (SKIP|TODO)\b(.*))?$/
const totals = { files: 0, tests: 0, assertions: 0, skipped: 0, failed: 0 }
const skips = []
const rows = []
for (const { workspace, files } of results()) {
  const row = { workspace, files: files.length, tests: 0, assertions: 0, skipped: 0, failed: 0 }
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]
      if (/^\s*# Subtest: /.test(line)) { row.tests++; continue }
      const m = OK.exec(line)
      if (m === null) continue
      // A subtest's closing line follows its own, deeper-indented lines; it is not an assertion of its own.
      let j = i - 1
      while (j >= 0 && lines[j].trim() === '') j--
      const closesSubtest = j >= 0 && lines[j].length - lines[j].trimStart().length > m[1].length
      if (m[4] === 'SKIP') {
        row.skipped++
        skips.push(`${workspace}/${path.relative(path.join(root, workspace, '.tap', 'test-results'), file).replace(/\.tap$/, '')}: ${m[3] ?? ''} (${(m[5] ?? '').trim()})`)
        continue
      }
      if (closesSubtest) continue
      if (m[2] === 'not ok' && m[4] !== 'TODO') row.failed++
      row.assertions++
    }
  }
  rows.push(row)
  for (const k of Object.keys(totals)) totals[k] += row[k]
}

const pad = (s, n) => String(s).padStart(n)
process.stdout.write(`\npnpm test (${mode}):\n`)
process.stdout.write(`  ${'workspace'.padEnd(24)} ${pad('files', 6)} ${pad('tests', 6)} ${pad('asserts', 8)} ${pad('skipped', 8)} ${pad('failed', 7)}\n`)
for (const r of rows) process.stdout.write(`  ${r.workspace.padEnd(24)} ${pad(r.files, 6)} ${pad(r.tests, 6)} ${pad(r.assertions, 8)} ${pad(r.skipped, 8)} ${pad(r.failed, 7)}\n`)
process.stdout.write(`  ${'total'.padEnd(24)} ${pad(totals.files, 6)} ${pad(totals.tests, 6)} ${pad(totals.assertions, 8)} ${pad(totals.skipped, 8)} ${pad(totals.failed, 7)}\n`)
process.stdout.write(`  executed ${totals.tests} tests (${totals.assertions} assertions) in ${totals.files} files, skipped ${totals.skipped}, in ${Math.round((Date.now() - started) / 1000)} s\n`)
if (skips.length > 0) process.stdout.write(`  skipped:\n${skips.map((s) => '    ' + s).join('\n')}\n`)

let leftovers = 0
if (keyRoot) {
  // A filtered run may not have built @kefu/service (a workspace that does not depend on it), which leftoverKeys
  // imports: build it once, for both targets.
  const built = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@kefu/service', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) fail('could not build @kefu/service to look for the keys the tests left in Redis')
  leftovers += await leftoverKeys(keyRoot, redisUrl)
  leftovers += await leftoverKeys(keyRoot, { cluster: clusterUrls.split(',') }).catch((err) => fail(`the Redis Cluster did not answer after the tests: ${err.message}`))
}
stopCluster()

if (code !== 0) process.exit(code)
if (leftovers > 0) fail(`the tests left ${leftovers} keys in Redis (listed above; removed now): each test must delete its keys at teardown (deleteKeysAtTeardown in @kefu/service/testing)`)
if (real && totals.skipped > 0) fail(`${totals.skipped} tests were skipped in the real run; with real PostgreSQL and Redis every test must run`)
if (totals.files === 0) fail('no test results were written')
