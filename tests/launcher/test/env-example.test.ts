// .env.example is published: every secret in it is a placeholder, and each placeholder stops every service that
// reads it, with one line naming the variable. The services get .env.example's values as docker-compose.yml wires them.
import t from 'tap'
import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import * as auth from '@kefu/auth'
import * as kefuConsole from '@kefu/console'
import * as ingest from '@kefu/ingest'
import { isPlaceholder, type Env } from '@kefu/service'
import * as sync from '@kefu/sync'
import { ROOT } from './helper.js'

type Example = Record<string, string>

function readExample (): Example {
  const example: Example = {}
  for (const line of readFileSync(path.join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (m !== null) example[m[1]!] = m[2]!
  }
  return example
}

/**
 * Each service's environment under docker compose (docker-compose.yml), from .env's values, less what compose hands
 * every service and this one never reads (ingest has no sessions, sync no database).
 */
const SERVICES: Record<string, { load: (env: Env) => unknown, env: (e: Example) => Env }> = {
  ingest: { load: ingest.loadConfig, env: (e) => ({ ...database(e), WECHAT_APPS: e.WECHAT_APPS }) },
  auth: { load: auth.loadConfig, env: (e) => ({ ...database(e), ...session(e), PUBLIC_URL: e.AUTH_PUBLIC_URL, SSO_CLIENTS: e.SSO_CLIENTS }) },
  sync: {
    load: sync.loadConfig,
    env: (e) => ({ ...session(e), PUBLIC_URL: e.SYNC_PUBLIC_URL, AUTH_URL: e.AUTH_PUBLIC_URL, AUTH_INTERNAL_URL: 'http://auth:3001', CLIENT_ID: e.SYNC_CLIENT_ID, CLIENT_SECRET: e.SYNC_CLIENT_SECRET })
  },
  console: {
    load: kefuConsole.loadConfig,
    env: (e) => ({
      ...database(e), ...session(e), PUBLIC_URL: e.CONSOLE_PUBLIC_URL, AUTH_URL: e.AUTH_PUBLIC_URL, AUTH_INTERNAL_URL: 'http://auth:3001', CLIENT_ID: e.CONSOLE_CLIENT_ID, CLIENT_SECRET: e.CONSOLE_CLIENT_SECRET, WECHAT_APPS: e.WECHAT_APPS
    })
  }
}
function database (e: Example): Env {
  return { DATABASE_URL: `postgresql://kefu:${e.POSTGRES_PASSWORD!}@postgres:5432/kefu`, REDIS_URL: 'redis://redis:6379', HOST: '0.0.0.0' }
}
function session (e: Example): Env {
  return { REDIS_URL: 'redis://redis:6379', HOST: '0.0.0.0', SESSION_SECRET: e.SESSION_SECRET }
}

/** Every string in .env.example with where it sits: `NAME` or `NAME[0].field` inside a JSON value. */
function leaves (example: Example): Array<{ where: string, key: string, value: string }> {
  const out: Array<{ where: string, key: string, value: string }> = []
  const walk = (value: unknown, where: string, key: string): void => {
    if (typeof value === 'string') out.push({ where, key, value })
    else if (Array.isArray(value)) value.forEach((v, i) => { walk(v, `${where}[${i}]`, key) })
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`, k)
  }
  for (const [name, raw] of Object.entries(example)) {
    let parsed: unknown = raw
    if (raw.startsWith('[') || raw.startsWith('{')) parsed = JSON.parse(raw)
    walk(parsed, name, name)
  }
  return out
}

/** A value of one's own of the same shape (a WeChat token is letters and digits, an AES key 43 of them). */
function own (key: string): string {
  if (key === 'token') return 'own' + crypto.randomBytes(8).toString('hex')
  if (key === 'encodingAESKey') return crypto.randomBytes(43).toString('base64').replace(/[^A-Za-z0-9]/g, 'A').slice(0, 43)
  return crypto.randomBytes(24).toString('base64url')
}

/** .env.example with every placeholder but `keep` replaced by a value of one's own. */
function exampleWithOnly (example: Example, keep: string | undefined): Example {
  const replaced: Example = {}
  const spots = leaves(example).filter((l) => isPlaceholder(l.value) && l.where !== keep)
  for (const [name, raw] of Object.entries(example)) {
    let value = raw
    for (const spot of spots.filter((s) => s.where === name || s.where.startsWith(name + '[') || s.where.startsWith(name + '.'))) {
      value = value.replace(spot.value, own(spot.key))
    }
    replaced[name] = value
  }
  return replaced
}

const example = readExample()
const placeholders = leaves(example).filter((l) => isPlaceholder(l.value))

t.test('every secret .env.example carries is a placeholder', async (t) => {
  const secrets = leaves(example).filter((l) => /secret|password|token|key/i.test(l.key))
  t.same(secrets.map((s) => s.where).sort(), [
    'CONSOLE_CLIENT_SECRET', 'POSTGRES_PASSWORD', 'SESSION_SECRET', 'SSO_CLIENTS[0].clientSecret', 'SSO_CLIENTS[1].clientSecret',
    'SYNC_CLIENT_SECRET', 'WECHAT_APPS[0].encodingAESKey', 'WECHAT_APPS[0].secret', 'WECHAT_APPS[0].token'
  ], 'the secrets this test knows of (a new one must be added here and be refused below)')
  for (const s of secrets) t.ok(isPlaceholder(s.value), `${s.where} is a placeholder ("${s.value}")`)
})

t.test('with every placeholder replaced, every service starts from .env.example', async (t) => {
  const good = exampleWithOnly(example, undefined)
  for (const [name, service] of Object.entries(SERVICES)) t.doesNotThrow(() => service.load(service.env(good)), name)
})

t.test('each placeholder alone stops every service that reads it, naming the variable', async (t) => {
  for (const placeholder of placeholders) {
    const withIt = exampleWithOnly(example, placeholder.where)
    let readers = 0
    for (const [name, service] of Object.entries(SERVICES)) {
      const env = service.env(withIt)
      const variable = Object.entries(env).find(([, v]) => v?.includes(placeholder.value))?.[0]
      if (variable === undefined) continue
      readers++
      // Inside a JSON setting the message names the element, e.g. SSO_CLIENTS[1].clientSecret.
      const named = placeholder.where.includes('[') ? variable + placeholder.where.slice(placeholder.where.indexOf('[')) : variable
      const err = t.throws(() => service.load(env), `${name} refuses ${placeholder.where}`) as Error
      t.equal(err.message.split(' ')[0], named, `${name} names ${named}`)
      t.notMatch(err.message, /\n/)
      t.notMatch(err.message, placeholder.value, 'the value itself is not repeated')
    }
    t.ok(readers > 0, `${placeholder.where} is read by some service`)
  }
})
