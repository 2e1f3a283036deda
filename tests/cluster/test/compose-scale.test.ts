// docker-compose.scale.yml and deploy/haproxy.cfg, read as docker and HAProxy read them (no container engine runs
// here): two instances of every service docker-compose.yml runs, each with the same variables as there (Redis as a
// cluster instead of one server), each starting from what it is handed through its own configuration reader and
// reading all of it; HAProxy's backends are exactly those instances on their ports, checked on /readyz every second.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import * as auth from '@kefu/auth'
import * as kefuConsole from '@kefu/console'
import * as ingest from '@kefu/ingest'
import type { Env } from '@kefu/service'
import * as sync from '@kefu/sync'
import * as worker from '@kefu/worker'
import { HAPROXY } from './lb/haproxy.js'
import { ROOT } from './lb/processes.js'

type Vars = Record<string, string>

/** A .env of one's own: what docker-compose.scale.yml requires (${NAME:?…}), no placeholders. */
const DOTENV: Vars = {
  POSTGRES_PASSWORD: 'a-postgres-password-of-our-own',
  SESSION_SECRET: 'a-session-secret-of-our-own-0123456789',
  WECHAT_APPS: JSON.stringify([{ appid: 'wx00000000000000c1', token: 'ownToken123', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', secret: 'an-app-secret-of-our-own' }]),
  KEFU_SECRET_KEY: 'k1:' + Buffer.alloc(32, 7).toString('base64'),
  SSO_CLIENTS: JSON.stringify(['sync', 'console'].map((id, i) => ({
    clientId: id, clientSecret: `${id}-client-secret-of-our-own-0123456789`, origins: [`http://localhost:300${i + 2}`], redirectUris: [`http://localhost:300${i + 2}/sso/callback`], logoutUri: `http://${id}:300${i + 2}/sso/logout`
  }))),
  SYNC_CLIENT_SECRET: 'sync-client-secret-of-our-own-0123456789',
  CONSOLE_CLIENT_SECRET: 'console-client-secret-of-our-own-0123456789'
}

/** Compose's interpolation: $$, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}. */
function interpolate (text: string, vars: Vars, where: string): string {
  return text.replace(/\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\})/g, (_m, dollar: string | undefined, name: string, op: string | undefined, arg: string | undefined) => {
    if (dollar !== undefined) return '$'
    const value = vars[name]
    const unset = op?.startsWith(':') === true ? value === undefined || value === '' : value === undefined
    if (op?.endsWith('?') === true && unset) throw new Error(`${where}: ${arg!}`)
    return unset ? (op?.endsWith('-') === true ? arg! : '') : value!
  })
}

interface Service {
  name: string
  image?: string
  command: string[]
  environment: Vars
  ports: string[]
  healthcheck?: { test: string[] }
  dependsOn: Record<string, string>
  aliases: string[]
}

function readCompose (file: string, vars: Vars): Record<string, Service> {
  const doc = parse(readFileSync(path.join(ROOT, file), 'utf8'), { merge: true }) as { services: Record<string, any> }
  return Object.fromEntries(Object.entries(doc.services).map(([name, raw]) => [name, {
    name,
    image: raw.image,
    command: (raw.command ?? []).map(String),
    environment: Object.fromEntries(Object.entries(raw.environment ?? {}).map(([k, v]) => [k, interpolate(v === null ? '' : String(v), vars, `${file}: ${name}.${k}`)])),
    ports: (raw.ports ?? []).map((p: string) => interpolate(p, vars, `${name}.ports`)),
    healthcheck: raw.healthcheck,
    dependsOn: Object.fromEntries(Object.entries(raw.depends_on ?? {}).map(([k, v]) => [k, (v as { condition: string }).condition])),
    aliases: raw.networks?.default?.aliases ?? []
  } satisfies Service]))
}

const LOADERS: Record<string, (env: Env) => { port: number, host: string }> = {
  ingest: ingest.loadConfig, auth: auth.loadConfig, sync: sync.loadConfig, console: kefuConsole.loadConfig, worker: worker.loadConfig
}
/** The apps HAProxy serves: every one but the worker, which answers no one (only its healthcheck). */
const behindProxy = (s: Service): boolean => appOf(s) !== 'worker'
/** The app a service runs (`node … apps/<app>/dist/server.js`), if it is one of kefu's. */
const appOf = (s: Service): string | undefined => /^apps\/([a-z]+)\/dist\/server\.js$/.exec(s.command.at(-1) ?? '')?.[1]

function readsOf (load: (env: Env) => unknown, env: Env): Set<string> {
  const names = new Set<string>()
  load(new Proxy(env, {
    get (target, key) { if (typeof key === 'string') names.add(key); return Reflect.get(target, key) },
    has (target, key) { if (typeof key === 'string') names.add(key); return Reflect.has(target, key) }
  }))
  return names
}

const scale = readCompose('docker-compose.scale.yml', DOTENV)
const single = readCompose('docker-compose.yml', DOTENV)
const instances = Object.values(scale).filter((s) => appOf(s) !== undefined)
const cfg = readFileSync(path.join(ROOT, 'deploy', 'haproxy.cfg'), 'utf8')

t.test('two instances of every service docker-compose.yml runs, with its variables (a Redis Cluster instead of one server)', async (t) => {
  const apps = Object.values(single).flatMap((s) => appOf(s) ?? [])
  t.ok(apps.length >= 4, `docker-compose.yml runs ${apps.join(', ')}`)
  for (const app of apps) {
    const mine = instances.filter((s) => appOf(s) === app)
    t.same(mine.map((s) => s.name).sort(), [`${app}-1`, `${app}-2`], `two ${app} instances`)
    const theirs = Object.values(single).find((s) => appOf(s) === app)!
    const other = new Set(['REDIS_URL', 'REDIS_CLUSTER_URLS', 'DRAIN_MS'])
    for (const s of mine) {
      t.same(s.command, theirs.command, `${s.name} runs what docker-compose.yml's ${theirs.name} runs`)
      t.same(Object.keys(s.environment).filter((k) => !other.has(k)).sort(), Object.keys(theirs.environment).filter((k) => !other.has(k)).sort(), `${s.name} sets the variables docker-compose.yml's ${theirs.name} sets`)
      t.equal(s.environment.REDIS_URL, undefined, `${s.name}: no single Redis`)
    }
  }
  t.notOk(instances.some((s) => appOf(s) !== undefined && !apps.includes(appOf(s)!)), 'and nothing docker-compose.yml does not run')
})

t.test('every instance starts from what it is handed and reads all of it; Redis is the three-node cluster', async (t) => {
  for (const s of instances) {
    const load = LOADERS[appOf(s)!]
    if (load === undefined) { t.fail(`${s.name} runs an app this test does not know`); continue }
    // Twice: the MEDIA_S3_* settings matter only beside MEDIA_STORE=s3, and are read then.
    const reads = new Set<string>()
    const s3 = s.environment.MEDIA_STORE === undefined ? {} : { MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'kefu-media' }
    for (const env of [s.environment, { ...s.environment, ...s3 }]) {
      t.doesNotThrow(() => { for (const name of readsOf(load, env)) reads.add(name) }, `${s.name} loads its configuration`)
    }
    t.same(Object.keys(s.environment).filter((k) => !reads.has(k)), [], `${s.name} reads every variable it is handed`)
    const config = load(s.environment) as { host: string, port: number, redisUrl?: unknown }
    t.equal(config.host, '0.0.0.0', behindProxy(s) ? `${s.name} listens for HAProxy` : `${s.name} listens for its healthcheck`)
    const nodes = (config.redisUrl as { cluster?: string[] } | undefined)?.cluster ?? []
    t.same(nodes.map((u) => new URL(u).hostname), ['redis-1', 'redis-2', 'redis-3'], `${s.name} uses the Redis Cluster`)
    t.match(s.healthcheck?.test?.[3] ?? '', '/readyz', `${s.name}: healthcheck on /readyz`)
    t.same(s.ports, [], `${s.name} publishes nothing: HAProxy does`)
  }
  for (const n of ['redis-1', 'redis-2', 'redis-3']) {
    const node = scale[n]!
    t.ok(node.command.includes('--cluster-enabled') && node.command[node.command.indexOf('--cluster-enabled') + 1] === 'yes', `${n} is a cluster node`)
    t.match(scale['redis-cluster']!.command.join(' '), `getent hosts ${n}`, `the one-shot redis-cli --cluster create joins ${n}`)
  }
  t.match(scale['redis-cluster']!.command.join(' '), /redis-cli --cluster create/, 'the cluster is made by redis-cli')
})

t.test('each instance waits for what it calls; the names it calls resolve to a service or HAProxy', async (t) => {
  const names = new Map<string, string>()
  for (const s of Object.values(scale)) {
    names.set(s.name, s.name)
    for (const a of s.aliases) names.set(a, s.name)
  }
  for (const s of instances) {
    const hosts = Object.values(s.environment).flatMap((v) => v.split(',')).flatMap((v) => { try { return [new URL(v).hostname] } catch { return [] } })
      // Names on the compose network have no dot (api.weixin.qq.com is not one; localhost is the browsers').
      .filter((h) => h !== '' && h !== 'localhost' && !h.includes('.'))
    for (const host of hosts) {
      const target = names.get(host)
      t.ok(target !== undefined, `${s.name} calls ${host}, a name on the compose network`)
      if (target === undefined) continue
      const ok = target === 'haproxy' || /^redis-\d$/.test(target)
        ? s.dependsOn[target] !== undefined || s.dependsOn['redis-cluster'] === 'service_completed_successfully'
        : s.dependsOn[target] === 'service_healthy'
      t.ok(ok, `${s.name} starts after ${target}`)
    }
    if (s.environment.DATABASE_URL !== undefined) t.equal(s.dependsOn.migrate, 'service_completed_successfully', `${s.name} starts after the migration`)
  }
  t.same(scale.haproxy!.aliases.sort(), ['auth', 'console', 'ingest', 'sync'], 'HAProxy answers for the names docker-compose.yml gives the services (AUTH_INTERNAL_URL, logoutUri)')
  t.same(Object.values(scale).filter((s) => s.ports.length > 0).map((s) => s.name), ['haproxy'], 'only HAProxy publishes ports')
})

t.test('deploy/haproxy.cfg: round robin over exactly those instances on their ports, /readyz every second, on the published ports', async (t) => {
  const configFile = scale.haproxy!.ports
  t.match(cfg, /^\s*balance roundrobin$/m, 'round robin')
  t.match(cfg, /^\s*option httpchk GET \/readyz$/m, 'checks /readyz')
  t.match(cfg, /^\s*default-server inter 1s fall 2 rise 2\b/m, 'every second; out after 2 failures, as the suite runs it')
  const servers = [...cfg.matchAll(/^\s*server (\S+) ([\w-]+):(\d+) check$/gm)].map((m) => ({ name: m[1]!, host: m[2]!, port: Number(m[3]) }))
  t.same(servers.map((s) => s.host).sort(), instances.filter(behindProxy).map((s) => s.name).sort(), 'one server line per instance (the workers serve no one)')
  for (const s of servers) {
    const instance = scale[s.host]!
    t.equal(s.port, LOADERS[appOf(instance)!]!(instance.environment).port, `${s.host} listens on ${s.port}`)
  }
  const binds = [...cfg.matchAll(/^\s*bind :(\d+)$/gm)].map((m) => m[1]!)
  t.same(configFile.map((p) => p.split(':').at(-1)).sort(), binds.sort(), 'the published ports are the frontends\' ports')
  t.same(binds.sort(), [3000, 3001, 3002, 3003].map(String), 'the ports of docker-compose.yml')
  t.same(scale.haproxy!.image, 'haproxy:2.6', 'the HAProxy branch the suite runs (Debian 12: 2.6)')
})

t.test('HAProxy accepts deploy/haproxy.cfg', { skip: !existsSync(HAPROXY) && process.env.KEFU_TEST_SERVICES !== 'real' ? `no HAProxy at ${HAPROXY}` : false }, async (t) => {
  const check = spawnSync(HAPROXY, ['-c', '-f', path.join(ROOT, 'deploy', 'haproxy.cfg')], { encoding: 'utf8' })
  t.equal(check.status, 0, `haproxy -c: ${check.stdout}${check.stderr}`.trim())
})
