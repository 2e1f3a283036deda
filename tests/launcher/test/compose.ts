// docker-compose.yml, .env.example and the Dockerfile as docker reads them, for tests that check them against the
// services' configuration readers (there is no container engine on this machine or CI's).
import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import * as auth from '@kefu/auth'
import * as kefuConsole from '@kefu/console'
import * as ingest from '@kefu/ingest'
import { isPlaceholder, type Env } from '@kefu/service'
import * as sync from '@kefu/sync'
import * as worker from '@kefu/worker'
import { ROOT } from './helper.js'

export type Vars = Record<string, string>

/** .env.example: the settings it sets (`NAME=value`) and those it shows commented out (`# NAME=value`). */
export interface EnvExample { set: Vars, shown: Vars }

export function readEnvExample (): EnvExample {
  const example: EnvExample = { set: {}, shown: {} }
  for (const line of readFileSync(path.join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const m = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (m === null) continue
    if (m[1] === undefined) example.set[m[2]!] = m[3]!
    else example.shown[m[2]!] = m[3]!
  }
  return example
}

/** Every string in .env.example with where it sits: `NAME` or `NAME[0].field` inside a JSON value. */
export function leaves (example: Vars): Array<{ where: string, key: string, value: string }> {
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
  if (key === 'KEFU_SECRET_KEY') return 'k1:' + crypto.randomBytes(32).toString('base64')
  if (key === 'encodingAESKey') return crypto.randomBytes(43).toString('base64').replace(/[^A-Za-z0-9]/g, 'A').slice(0, 43)
  return crypto.randomBytes(24).toString('base64url')
}

/** .env.example with every placeholder but `keep` replaced by a value of one's own. */
export function exampleWithOnly (example: Vars, keep: string | undefined): Vars {
  const replaced: Vars = {}
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

/**
 * Compose's interpolation of one string: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
 * ${NAME?error}, ${NAME:+alternative}, ${NAME+alternative}. `where` names the place for errors, as compose does.
 */
export function interpolate (text: string, vars: Vars, where: string): string {
  return text.replace(/\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_match, dollar: string | undefined, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (dollar !== undefined) return '$'
      if (bare !== undefined) return vars[bare] ?? ''
      if (arg?.includes('$') === true) throw new Error(`${where}: nested interpolation is not read by this test`)
      const value = vars[name!]
      const unset = op?.startsWith(':') === true ? value === undefined || value === '' : value === undefined
      switch (op?.replace(':', '')) {
        case undefined: return value ?? ''
        case '-': return unset ? arg! : value!
        case '?': if (unset) throw new Error(`${where}: ${arg!}`); return value!
        default: return unset ? '' : arg!
      }
    })
}

/** Every variable a string of compose's refers to. */
export function references (text: string): string[] {
  return [...text.replaceAll('$$', '').matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g)].map((m) => m[1] ?? m[2]!)
}

export interface ComposeService {
  name: string
  build?: string
  image?: string
  command?: string[]
  /** The environment as written (before interpolation), values as strings. */
  rawEnvironment: Record<string, string>
  environment: Record<string, string>
  ports: string[]
  volumes: string[]
  healthcheck?: { test: string[] }
  dependsOn: Record<string, string>
}

interface RawService {
  build?: string
  image?: string
  command?: string[]
  environment?: Record<string, string | number | boolean | null>
  ports?: string[]
  volumes?: string[]
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
}

export interface Compose {
  services: Record<string, ComposeService>
  volumes: string[]
}

/** docker-compose.yml with its anchors and merge keys resolved, every string interpolated from `vars` (the .env). */
export function readCompose (vars: Vars): Compose {
  const doc = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, RawService>, volumes?: Record<string, unknown> }
  const services: Record<string, ComposeService> = {}
  for (const [name, raw] of Object.entries(doc.services)) {
    const rawEnvironment = Object.fromEntries(Object.entries(raw.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]))
    const at = (what: string): string => `services.${name}.${what}`
    services[name] = {
      name,
      build: raw.build,
      image: raw.image,
      command: raw.command?.map((c) => interpolate(c, vars, at('command'))),
      rawEnvironment,
      environment: Object.fromEntries(Object.entries(rawEnvironment).map(([k, v]) => [k, interpolate(v, vars, at(`environment.${k}`))])),
      ports: (raw.ports ?? []).map((p) => interpolate(p, vars, at('ports'))),
      volumes: (raw.volumes ?? []).map((v) => interpolate(v, vars, at('volumes'))),
      healthcheck: raw.healthcheck,
      dependsOn: Object.fromEntries(Object.entries(raw.depends_on ?? {}).map(([k, v]) => [k, v.condition]))
    }
  }
  return { services, volumes: Object.keys(doc.volumes ?? {}) }
}

/** The variables docker-compose.yml refers to anywhere, with the lines that do. */
export function composeReferences (): Map<string, string[]> {
  const found = new Map<string, string[]>()
  for (const line of readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').split('\n')) {
    if (line.trimStart().startsWith('#')) continue
    for (const name of references(line)) found.set(name, [...found.get(name) ?? [], line.trim()])
  }
  return found
}

export interface KefuApp {
  app: 'ingest' | 'auth' | 'sync' | 'console' | 'worker'
  loadConfig: (env: Env) => { port: number, host: string, databaseUrl?: string }
}

const APPS: Record<KefuApp['app'], KefuApp['loadConfig']> = {
  ingest: ingest.loadConfig, auth: auth.loadConfig, sync: sync.loadConfig, console: kefuConsole.loadConfig, worker: worker.loadConfig
}

/** The kefu service a compose service runs (its command is `node … apps/<app>/dist/server.js`), if any. */
export function kefuApp (service: ComposeService): KefuApp | undefined {
  const script = service.command?.at(-1)
  const m = script === undefined ? null : /^apps\/([a-z]+)\/dist\/server\.js$/.exec(script)
  if (m === null) return undefined
  const loadConfig = APPS[m[1] as KefuApp['app']]
  if (loadConfig === undefined) throw new Error(`${service.name} runs ${script}, an app this test does not know`)
  return { app: m[1] as KefuApp['app'], loadConfig }
}

/** Runs a configuration reader, recording every variable it looks at. */
export function readsOf (load: (env: Env) => unknown, env: Env): { names: Set<string>, config: unknown } {
  const names = new Set<string>()
  const watched = new Proxy(env, {
    get (target, key) {
      if (typeof key === 'string') names.add(key)
      return Reflect.get(target, key)
    },
    has (target, key) {
      if (typeof key === 'string') names.add(key)
      return Reflect.has(target, key)
    }
  })
  return { names, config: load(watched) }
}

export interface DockerStage { from: string, name?: string, instructions: Array<{ keyword: string, args: string }> }

/** The Dockerfile's stages, each a list of instructions (continuation lines joined, comments dropped). */
export function readDockerfile (): DockerStage[] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
  const lines = text.split('\n').filter((line) => !line.trimStart().startsWith('#'))
  const instructions = lines.join('\n').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const stages: DockerStage[] = []
  for (const line of instructions) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line)
    if (m === null) throw new Error(`Dockerfile: cannot read "${line}"`)
    const [, keyword, args] = m as unknown as [string, string, string]
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      stages.push({ from: from![1]!, name: from![2], instructions: [] })
      continue
    }
    const stage = stages.at(-1)
    if (stage === undefined) throw new Error('Dockerfile: an instruction before FROM')
    stage.instructions.push({ keyword, args: args.replace(/\s+/g, ' ') })
  }
  return stages
}
