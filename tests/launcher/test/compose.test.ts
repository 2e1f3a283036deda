// docker-compose.yml and .env.example against the services' own configuration readers (no container engine runs
// here): every kefu service starts from what compose hands it, reads everything compose sets, answers a healthcheck,
// waits for what it calls, publishes only its own port; every name in .env.example reaches a service that reads it.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parsePgUrl } from 'pg-connection-string'
import { readDatabaseUrl } from '@kefu/service'
import {
  composeReferences, exampleWithOnly, kefuApp, readCompose, readDockerfile, readEnvExample, readsOf, type ComposeService, type KefuApp
} from './compose.js'
import { ROOT } from './helper.js'

const example = readEnvExample()
/** .env as a user makes it from .env.example: the placeholders replaced, the commented lines left out. */
const dotenv = exampleWithOnly(example.set, undefined)
/** The same with every commented-out setting of .env.example set as shown (MEDIA_STORE=s3 and the rest). */
const everything = exampleWithOnly({ ...example.set, ...example.shown }, undefined)

const compose = readCompose(dotenv)
const kefu = Object.values(compose.services).flatMap((s) => { const app = kefuApp(s); return app === undefined ? [] : [{ service: s, app }] })

function load (app: KefuApp, service: ComposeService): { port: number, host: string, databaseUrl?: string } {
  return app.loadConfig(service.environment)
}

t.test('compose runs the four kefu services and the worker, each from the image with its own command', async (t) => {
  t.same(kefu.map((k) => k.app.app).sort(), ['auth', 'console', 'ingest', 'sync', 'worker'])
  for (const { service } of kefu) t.equal(service.build, '.', `${service.name} is built from this repository`)
})

t.test('every kefu service starts from what compose hands it, and reads every variable compose sets', async (t) => {
  // Twice: a setting that only matters beside another (MEDIA_S3_* with MEDIA_STORE=s3) is read in the second round.
  const reads = new Map<string, Set<string>>()
  for (const vars of [dotenv, everything]) {
    const services = readCompose(vars).services
    for (const { service, app } of kefu) {
      t.doesNotThrow(() => {
        for (const name of readsOf(app.loadConfig, services[service.name]!.environment).names) reads.set(service.name, new Set([...reads.get(service.name) ?? [], name]))
      }, `${service.name} loads its configuration`)
    }
  }
  for (const { service } of kefu) {
    t.same(Object.keys(service.environment).filter((name) => reads.get(service.name)?.has(name) !== true), [], `${service.name}: compose sets nothing it does not read`)
  }
})

t.test('every name in .env.example reaches a service that reads it, and docs/configuration.md documents it', async (t) => {
  const refs = composeReferences()
  const doc = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8')
  const documented = new Set(doc.split('\n').filter((l) => l.startsWith('| `')).flatMap((l) => [...l.split(' | ')[0]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)))
  const services = readCompose(everything).services
  const reads = new Map(kefu.map(({ service, app }) => [service.name, readsOf(app.loadConfig, services[service.name]!.environment).names]))
  const names = [...Object.keys(example.set), ...Object.keys(example.shown)]
  t.ok(names.length >= 30, `${names.length} names`)
  for (const name of names) {
    t.ok(refs.has(name), `${name} is used by docker-compose.yml`)
    t.ok(documented.has(name), `${name} has a row in a table of docs/configuration.md`)
    // Where compose puts it into an environment, some kefu service reads the variable it becomes.
    const into = kefu.flatMap(({ service }) => Object.entries(service.rawEnvironment)
      .filter(([, raw]) => raw.includes('${' + name + ':') || raw.includes('${' + name + '}'))
      .map(([key]) => ({ service: service.name, key })))
    const elsewhere = (refs.get(name) ?? []).every((line) => /^- "|^ports:/.test(line))
    if (into.length === 0) {
      t.ok(elsewhere, `${name} is used outside the services' environments only where compose itself reads it (ports)`)
      continue
    }
    t.ok(into.some(({ service, key }) => reads.get(service)!.has(key)), `${name} → ${into.map((i) => `${i.service}.${i.key}`).join(', ')}: read`)
  }
  // Names that are compose's own (not a service's variable) are explained where compose is.
  const at = doc.indexOf('\n## docker compose\n')
  const composeTable = doc.slice(at, doc.indexOf('\n#', at + 1))
  t.ok(at >= 0, 'docs/configuration.md has a docker compose section')
  for (const name of names) {
    const asIs = kefu.some(({ service }) => service.rawEnvironment[name] !== undefined)
    const row = composeTable.split('\n').find((l) => l.startsWith('| ') && l.split(' | ')[0]!.includes('`' + name + '`'))
    if (!asIs) t.ok(row, `${name} is in docs/configuration.md's docker compose table`)
  }
})

t.test('a PostgreSQL password with @ / : % and spaces reaches every reader of the database intact', async (t) => {
  const password = 'p@ss/w:rd%41 #?&=' + "'\""
  const vars = { ...dotenv, POSTGRES_PASSWORD: password }
  const services = readCompose(vars).services
  t.equal(services.postgres!.environment.POSTGRES_PASSWORD, password, 'PostgreSQL is initialised with it as typed')
  let readers = 0
  for (const { service, app } of kefu) {
    const url = app.loadConfig(services[service.name]!.environment).databaseUrl
    if (url === undefined) continue
    readers++
    const parsed = parsePgUrl(url)
    t.equal(parsed.password, password, `${service.name}: node-postgres reads the password back`)
    t.equal(parsed.user, 'kefu')
    t.equal(parsed.host, 'postgres')
    t.equal(parsed.port, '5432')
    t.equal(parsed.database, 'kefu')
  }
  t.equal(readers, 4, 'ingest, auth, the console and the worker use the database')
  t.equal(parsePgUrl(readDatabaseUrl(services.migrate!.environment)!).password, password, 'migrate (packages/db/dist/migrate-cli.js reads readDatabaseUrl)')
})

t.test('the commands run inside the containers read DATABASE_URL as the services do', async (t) => {
  // A published password in DATABASE_PASSWORD is refused before any connection: proof that the command went through
  // the services' reader (one that read DATABASE_URL alone would try to connect, and fail otherwise).
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: 'postgresql://kefu@127.0.0.1:1/kefu', DATABASE_PASSWORD: 'change-me-postgres-password' }
  const commands = [
    compose.services.migrate!.command!,
    ['node', 'apps/console/dist/cli/agent-add.js', 'someone', 'wx0123456789abcdef'],
    ['node', 'apps/auth/dist/cli/user-add.js', 'someone', 'a-password-of-12-chars']
  ]
  for (const [node, ...args] of commands) {
    t.equal(node, 'node')
    const run = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 })
    t.not(run.status, 0, args.join(' '))
    t.match(run.stderr + run.stdout, /DATABASE_PASSWORD is still the placeholder from \.env\.example/, args.join(' '))
  }
})

t.test('every kefu service has a healthcheck on its own port; sync and console wait for auth', async (t) => {
  for (const { service, app } of kefu) {
    const config = load(app, service)
    const test = service.healthcheck?.test ?? []
    t.equal(test.slice(0, 3).join(' '), 'CMD node -e', `${service.name}: node runs it (the image has no curl)`)
    t.match(test[3] ?? '', /process\.env\.PORT/, `${service.name}: on the port it listens on`)
    t.match(test[3] ?? '', config.databaseUrl === undefined ? '/healthz' : '/readyz', `${service.name}: ${config.databaseUrl === undefined ? 'up' : 'its database answers'}`)
    t.equal(config.host, '0.0.0.0', `${service.name} listens for the other containers`)

    // Every other container it calls (a URL in its environment naming a compose service) is healthy first.
    const calls = Object.values(service.environment).flatMap((value) => {
      try { return [new URL(value).hostname] } catch { return [] }
    }).filter((host) => compose.services[host] !== undefined)
    t.ok(calls.length > 0, `${service.name} calls other containers: ${calls.join(', ')}`)
    for (const host of calls) {
      t.equal(service.dependsOn[host], 'service_healthy', `${service.name} waits until ${host} is healthy`)
      t.ok(compose.services[host]!.healthcheck !== undefined, `${host} has a healthcheck`)
    }
    if (config.databaseUrl !== undefined) t.equal(service.dependsOn.migrate, 'service_completed_successfully', `${service.name} starts after the migration`)
  }
  t.equal(compose.services.console!.dependsOn.auth, 'service_healthy', 'the console waits for auth')
  t.equal(compose.services.sync!.dependsOn.auth, 'service_healthy', 'sync waits for auth')
})

t.test('only the four services\' own ports are published, on PUBLISH_ADDRESS (loopback by default)', async (t) => {
  for (const service of Object.values(compose.services)) {
    const app = kefuApp(service)
    if (app === undefined || app.app === 'worker') {
      t.same(service.ports, [], `${service.name} publishes nothing`)
      continue
    }
    const port = load(app, service).port
    t.same(service.ports, [`127.0.0.1:${port}:${port}`], `${service.name}: ${port} only (not its metrics listener)`)
  }
  t.same(readCompose({ ...dotenv, PUBLISH_ADDRESS: '0.0.0.0' }).services.ingest!.ports, ['0.0.0.0:3000:3000'])
})

t.test('each volume a kefu service writes is a directory of the image owned by the user it runs as', async (t) => {
  const runtime = readDockerfile().at(-1)!
  const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args
  t.equal(user, 'node', 'the services do not run as root')
  const runs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)
  let volumes = 0
  for (const { service, app } of kefu) {
    for (const volume of service.volumes) {
      volumes++
      const [name, target] = volume.split(':') as [string, string]
      t.ok(compose.volumes.includes(name), `${name} is a named volume`)
      t.ok(runs.some((r) => r.includes(`mkdir -p ${target}`) && r.includes(`chown node:node ${target}`)), `the image makes ${target}, owned by node`)
      t.equal(service.environment.DATA_DIR, target, `${service.name} keeps its media in the volume`)
    }
  }
  t.equal(volumes, 2, 'the console\'s data volume, the worker\'s too (it fills the media store the console serves)')
  t.same(compose.services.worker!.volumes, compose.services.console!.volumes, 'one volume for both')
})

t.test('what the files tell a reader to open exists', async (t) => {
  for (const file of ['Dockerfile', 'docker-compose.yml', '.env.example']) {
    const text = readFileSync(path.join(ROOT, file), 'utf8')
    for (const m of text.matchAll(/\b([\w./-]+\.(?:md|json|yml|yaml))\b/g)) {
      if (m[1] === 'docker-compose.yml' || m[1]!.startsWith('.')) continue
      t.ok(existsSync(path.join(ROOT, m[1]!)), `${file} names ${m[1]}, which exists`)
    }
    // `docs/configuration.md's "docker compose"`: that file has a heading of that name.
    const sections = [...text.matchAll(/\b([\w./-]+\.md)'s "([^"]+)"/g)]
    for (const [, doc, heading] of sections) {
      const headings = existsSync(path.join(ROOT, doc!)) ? readFileSync(path.join(ROOT, doc!), 'utf8').split('\n').filter((l) => l.startsWith('#')) : []
      t.ok(headings.some((h) => h.replace(/^#+ /, '').replaceAll('`', '') === heading), `${file}: ${doc} has a section "${heading}"`)
    }
    t.notMatch(text, /README's "/, `${file} points at docs/, not at sections the README no longer has`)
  }
})
