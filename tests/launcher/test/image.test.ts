// The Dockerfile's image without a container engine: what its build stage copies into the runtime stage is enough to
// run every service as docker-compose.yml runs it (checked by running them from a directory holding exactly those
// files), on production dependencies alone, as the unprivileged node user.
import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import path from 'node:path'
import { createTestDatabase } from '@kefu/db/testing'
import { exampleWithOnly, kefuApp, readCompose, readDockerfile, readEnvExample, type ComposeService } from './compose.js'
import { realServers, ROOT } from './helper.js'

const stages = readDockerfile()
const build = stages[0]!
const runtime = stages.at(-1)!

/** The paths the build stage copies into /runtime (`cp -a --parents <paths…> /runtime/`), globs as written. */
function runtimePatterns (): string[] {
  const run = build.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('cp -a --parents'))
  if (run === undefined) throw new Error('the build stage has no cp -a --parents … /runtime/')
  const words = run.args.slice(run.args.indexOf('cp -a --parents') + 'cp -a --parents'.length).trim().split(' ')
  if (words.at(-1) !== '/runtime/') throw new Error(`the copy ends with ${words.at(-1)}, not /runtime/`)
  return words.slice(0, -1)
}

/** A pattern's matches in this (built) checkout; `*` stands for one path segment (as the shell expands it). */
function expand (pattern: string, dir = ROOT): string[] {
  const [head, ...rest] = pattern.split('/') as [string, ...string[]]
  const names = head.includes('*')
    ? readdirSync(dir).filter((n) => new RegExp('^' + head.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$').test(n))
    : existsSync(path.join(dir, head)) ? [head] : []
  if (rest.length === 0) return names
  return names.filter((n) => statSync(path.join(dir, n)).isDirectory()).flatMap((n) => expand(rest.join('/'), path.join(dir, n)).map((m) => `${n}/${m}`))
}

const patterns = runtimePatterns()
const copied = patterns.flatMap((p) => expand(p))

t.test('the runtime stage takes the build stage\'s /runtime only, pruned to production dependencies, and runs as node', async (t) => {
  const copies = runtime.instructions.filter((i) => i.keyword === 'COPY')
  t.same(copies.map((c) => c.args), ['--from=build /runtime /app'], 'not the whole build stage')
  const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)
  const built = runs.findIndex((r) => r.includes('pnpm build'))
  const pruned = runs.findIndex((r) => /pnpm prune --prod .*cp -a --parents/.test(r))
  t.ok(built >= 0 && pruned > built, 'devDependencies are pruned after the build, before the copy')
  t.equal(runtime.instructions.at(-1)!.keyword, 'CMD')
  t.equal(runtime.instructions.at(-2)!.args, 'node', 'USER node, right before the command')
  t.equal(runtime.instructions.at(-2)!.keyword, 'USER')
  for (const p of patterns) t.ok(expand(p).length > 0, `${p} matches something in a built checkout`)
  // The console's browser modules are the only files of a src folder in the image: every one of them, nothing else.
  const browserModules = (readdirSync(path.join(ROOT, 'apps/console/src'), { recursive: true }) as string[]).filter((f) => /\.(js|css)$/.test(f))
  t.ok(browserModules.length > 10, `${browserModules.length} browser modules in apps/console/src`)
  t.same(copied.filter((c) => c.startsWith('apps/console/src/')).sort(), browserModules.map((f) => `apps/console/src/${f}`).sort(), "the console's browser modules, all of them")
  t.notOk(copied.some((c) => c.startsWith('tests/') || /\/(test|bench|src)(\/|$)/.test(c.replace(/^apps\/console\/src\/[a-z0-9-]+\/[a-z0-9-]+\.(js|css)$/, ''))), 'no tests, benchmarks or sources')
})

t.test('the built code imports nothing but its package\'s production dependencies', async (t) => {
  const workspaces = copied.filter((c) => c.endsWith('/dist')).map((c) => path.dirname(c))
  t.same(workspaces.sort(), [...readdirSync(path.join(ROOT, 'apps')).map((n) => `apps/${n}`), ...readdirSync(path.join(ROOT, 'packages')).map((n) => `packages/${n}`)].sort(), 'every app and package')
  let imports = 0
  for (const workspace of workspaces) {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, workspace, 'package.json'), 'utf8')) as { name: string, dependencies?: Record<string, string> }
    const allowed = new Set([pkg.name, ...Object.keys(pkg.dependencies ?? {})])
    const files = (readdirSync(path.join(ROOT, workspace, 'dist'), { recursive: true }) as string[]).filter((f) => f.endsWith('.js'))
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, workspace, 'dist', file), 'utf8')
      for (const m of text.matchAll(/^(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"\n]+)['"]|\bimport\(\s*['"]([^'"\n]+)['"]\s*\)|^import\s*['"]([^'"\n]+)['"]/gm)) {
        const specifier = (m[1] ?? m[2] ?? m[3])!
        if (specifier.startsWith('.') || isBuiltin(specifier)) continue
        imports++
        const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
        if (!allowed.has(name)) t.fail(`${workspace}/dist/${file} imports ${specifier}, not among ${pkg.name}'s dependencies`)
      }
    }
  }
  t.ok(imports > 100, `${imports} imports of packages checked`)
})

/** A directory holding what the image holds at /app; node_modules is this checkout's (the import check above covers pruning). */
function imageDir (dir: string): string {
  for (const c of copied) {
    if (c === 'node_modules') symlinkSync(path.join(ROOT, c), path.join(dir, c))
    else cpSync(path.join(ROOT, c), path.join(dir, c), { recursive: true, verbatimSymlinks: true })
  }
  return dir
}

interface Running { url: string, port: number, stop: () => Promise<void> }

async function run (t: Test, service: ComposeService, cwd: string, env: Record<string, string>): Promise<Running> {
  const [node, ...args] = service.command!
  t.equal(node, 'node')
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  t.teardown(stop)
  const url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      // The public listener's line; the metrics listener logs its own with "listener":"metrics".
      for (const line of out.split('\n')) {
        const m = /"msg":"Server listening at (http:\/\/[^"]+)"/.exec(line)
        if (m !== null && !line.includes('"listener":"metrics"')) { resolve(m[1]!); return }
      }
    }
    child.stdout.on('data', check)
    child.once('exit', (code) => { reject(new Error(`${service.name} exited with ${code}: ${out.trim().slice(0, 2000)}`)) })
  })
  return { url, port: Number(new URL(url).port), stop }
}

function healthcheck (service: ComposeService, port: number): number | null {
  const [cmd, node, ...args] = service.healthcheck!.test
  if (cmd !== 'CMD' || node !== 'node') throw new Error(`${service.name}: healthcheck ${service.healthcheck!.test.join(' ')}`)
  return spawnSync(process.execPath, args, { env: { PATH: process.env.PATH, PORT: String(port) }, timeout: 30_000 }).status
}

t.test('from the image\'s files alone, every service runs as compose runs it and passes its healthcheck', { skip: realServers() === undefined && 'compose runs the services on PostgreSQL and Redis: DATABASE_URL and REDIS_URL are not set (embedded run)' }, async (t) => {
  const servers = realServers()!
  const dir = t.testdir({ app: {}, data: {} })
  const app = imageDir(path.join(dir, 'app'))
  const compose = readCompose(exampleWithOnly(readEnvExample().set, undefined))
  const db = await createTestDatabase('image', { migrate: false })
  t.teardown(db.drop)

  // compose's migrate service, on its environment but for the address of this machine's server.
  const migrateEnv = { ...compose.services.migrate!.environment, DATABASE_URL: db.url }
  const [, ...migrateArgs] = compose.services.migrate!.command!
  const migrated = spawnSync(process.execPath, migrateArgs, { cwd: app, env: { PATH: process.env.PATH, ...migrateEnv }, encoding: 'utf8', timeout: 120_000 })
  t.equal(migrated.status, 0, migrated.stderr)
  t.match(migrated.stdout, /\d+ applied, 0 already applied/, 'prisma/migrations is in the image')

  const local = (service: ComposeService, authUrl?: string): Record<string, string> => ({
    ...service.environment,
    ...(service.environment.DATABASE_URL !== undefined ? { DATABASE_URL: db.url } : {}),
    REDIS_URL: servers.redisUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    ...(authUrl !== undefined ? { AUTH_INTERNAL_URL: authUrl } : {}),
    ...(service.environment.DATA_DIR !== undefined ? { DATA_DIR: path.join(dir, 'data') } : {})
  })
  const authService = compose.services.auth!
  const authRun = await run(t, authService, app, local(authService))
  const others = Object.values(compose.services).filter((s) => kefuApp(s) !== undefined && s.name !== 'auth')
  const running = [{ service: authService, running: authRun }, ...await Promise.all(others.map(async (service) => ({ service, running: await run(t, service, app, local(service, authRun.url)) })))]
  t.equal(running.length, 5, 'the four services and the worker')

  for (const { service, running: r } of running) t.equal(healthcheck(service, r.port), 0, `${service.name}: healthy`)
  const consoleRun = running.find((r) => r.service.name === 'console')!.running
  const asset = await fetch(consoleRun.url + '/assets/shell/console.js')
  t.equal(asset.status, 200, 'the console serves its browser modules')
  t.match(await asset.text(), /import /)
  const modules = copied.filter((c) => c.startsWith('apps/console/src/'))
  const served = await Promise.all(modules.map(async (m) => (await fetch(consoleRun.url + '/assets/' + m.slice('apps/console/src/'.length))).status))
  t.same(served, modules.map(() => 200), `each of the ${modules.length} browser modules of the image is served`)

  for (const { service, running: r } of running) {
    await r.stop()
    t.equal(healthcheck(service, r.port), 1, `${service.name}: stopped, unhealthy`)
  }
})
