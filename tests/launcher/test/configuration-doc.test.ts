// docs/configuration.md against the configuration readers: every variable a service's loadConfig (or the launcher's
// readLauncherAddresses) reads has a row, every row names only variables some reader reads, and each row's "read by"
// column names every reader that reads its variables. The readers run on a Proxy over the environment that records
// each name they look at, with the defaults and with everything set (S3 media, metrics off loopback…).
import t from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import * as auth from '@kefu/auth'
import * as kefuConsole from '@kefu/console'
import * as ingest from '@kefu/ingest'
import { readLauncherAddresses, type Env } from '@kefu/service'
import * as sync from '@kefu/sync'
import * as worker from '@kefu/worker'
import { exampleWithOnly, readCompose, readEnvExample, readsOf } from './compose.js'
import { ROOT } from './helper.js'

const SERVICES = ['ingest', 'auth', 'sync', 'console', 'worker'] as const
const LAUNCHER = 'pnpm start'
type Reader = typeof SERVICES[number] | typeof LAUNCHER

const READERS: Record<Reader, (env: Env) => unknown> = {
  ingest: ingest.loadConfig, auth: auth.loadConfig, sync: sync.loadConfig, console: kefuConsole.loadConfig, worker: worker.loadConfig, [LAUNCHER]: readLauncherAddresses
}

/** The least a reader needs to start (secrets are generated without Redis), and so the defaults' branches. */
const MINIMAL: Env = {
  CLIENT_SECRET: 'a-client-secret-of-32-characters-at-least',
  WECHAT_APPS: JSON.stringify([{ appid: 'wx0123456789abcdef', token: 'someToken' }])
}

/** Every setting .env.example shows, as docker compose hands it to each service (MEDIA_STORE=s3, METRICS_HOST=0.0.0.0…). */
function everything (reader: Reader): Env {
  if (reader === LAUNCHER) return { BASE_PORT: '4000', HOST: '0.0.0.0' }
  const example = readEnvExample()
  return readCompose(exampleWithOnly({ ...example.set, ...example.shown }, undefined)).services[reader]!.environment
}

/** Variable → the readers that read it. */
function readsByVariable (): Map<string, Set<Reader>> {
  const found = new Map<string, Set<Reader>>()
  for (const [reader, load] of Object.entries(READERS) as Array<[Reader, (env: Env) => unknown]>) {
    for (const env of [MINIMAL, everything(reader)]) {
      for (const name of readsOf(load, env).names) found.set(name, new Set([...found.get(name) ?? [], reader]))
    }
  }
  return found
}

interface Row { line: number, variables: string[], readBy: Set<Reader>, text: string }

/**
 * The rows of docs/configuration.md's variable tables (header `| variable | read by | default | meaning |`). In "read
 * by", the list before a `;` counts: `all` is the five services (the worker among them), a service by its name, `pnpm start` the launcher;
 * other commands in backticks (`pnpm dev`) are for the reader and not checked.
 */
function documentedRows (text: string): Row[] {
  const rows: Row[] = []
  let inTable = false
  for (const [i, line] of text.split('\n').entries()) {
    if (/^\| variable \| read by \| default \| meaning \|$/.test(line)) { inTable = true; continue }
    if (!line.startsWith('|')) { inTable = false; continue }
    if (!inTable || line.startsWith('|---')) continue
    const cells = line.split(' | ')
    const variables = [...cells[0]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)
    const readBy = new Set<Reader>()
    for (const token of cells[1]!.split(';')[0]!.split(',').map((s) => s.trim())) {
      if (token === 'all') for (const s of SERVICES) readBy.add(s)
      else if ((SERVICES as readonly string[]).includes(token)) readBy.add(token as Reader)
      else if (token === '`' + LAUNCHER + '`') readBy.add(LAUNCHER)
      else if (!/^`[^`]+`$/.test(token)) throw new Error(`docs/configuration.md:${i + 1}: "${token}" in "read by" is neither a service nor a command`)
    }
    rows.push({ line: i + 1, variables, readBy, text: line })
  }
  return rows
}

const DOC = path.join(ROOT, 'docs', 'configuration.md')

/** What is wrong with the doc's rows against what the readers read, one line each; none when they agree. */
function problems (reads: Map<string, Set<Reader>>, rows: Row[]): string[] {
  const out: string[] = []
  const documented = new Map<string, Row>()
  for (const row of rows) {
    if (row.variables.length === 0) out.push(`line ${row.line} names no variable`)
    for (const name of row.variables) {
      if (documented.has(name)) out.push(`${name} has two rows (lines ${documented.get(name)!.line} and ${row.line})`)
      documented.set(name, row)
      const readers = reads.get(name)
      if (readers === undefined) {
        out.push(`${name} (line ${row.line}) is read by no reader`)
        continue
      }
      for (const r of readers) if (!row.readBy.has(r)) out.push(`${name} (line ${row.line}) is read by ${r}, which "read by" does not name`)
      for (const r of row.readBy) if (!readers.has(r)) out.push(`${name} (line ${row.line}): "read by" names ${r}, which does not read it`)
    }
  }
  for (const [name, readers] of reads) {
    if (!documented.has(name)) out.push(`${name} (read by ${[...readers].join(', ')}) has no row`)
  }
  return out
}

t.test('every variable a configuration reader reads has a row in docs/configuration.md, and only those', async (t) => {
  const reads = readsByVariable()
  const rows = documentedRows(readFileSync(DOC, 'utf8'))
  t.ok(reads.size >= 40, `the readers read ${reads.size} variables`)
  t.ok(rows.length >= 40, `${rows.length} rows`)
  t.same(problems(reads, rows), [], 'docs/configuration.md agrees with the readers')
})

t.test('the check sees a row removed, a row for nothing, and a reader left out of "read by"', async (t) => {
  const reads = readsByVariable()
  const text = readFileSync(DOC, 'utf8')
  const check = (changed: string): string[] => problems(reads, documentedRows(changed))
  t.not(text.indexOf('| `MEDIA_FETCH_ATTEMPTS` |'), -1)
  t.same(check(text.split('\n').filter((l) => !l.startsWith('| `MEDIA_FETCH_ATTEMPTS` |')).join('\n')),
    ['MEDIA_FETCH_ATTEMPTS (read by console, worker) has no row'])
  t.match(check(text.replace('| `LOG_LEVEL` |', '| `LOG_LEVEL`, `LOG_FORMAT` |')), [/^LOG_FORMAT \(line \d+\) is read by no reader$/])
  t.match(check(text.replace('| `REDIS_URL` | all |', '| `REDIS_URL` | ingest, auth, console |')), [/^REDIS_URL \(line \d+\) is read by sync, which "read by" does not name$/])
  t.match(check(text.replace('| `REDIS_URL` | all |', '| `REDIS_URL` | all, `pnpm start` |')), [/^REDIS_URL \(line \d+\): "read by" names pnpm start, which does not read it$/])
  t.throws(() => documentedRows(text.replace('| `PORT` | all |', '| `PORT` | everyone |')), /neither a service nor a command/)
})

t.test('the variables pnpm start overrides are documented ones', async (t) => {
  const text = readFileSync(DOC, 'utf8')
  const documented = new Set(documentedRows(text).flatMap((r) => r.variables))
  const at = text.indexOf('\n## `pnpm start`\n')
  t.ok(at >= 0, 'docs/configuration.md has a pnpm start section')
  const table = text.slice(at, text.indexOf('\n## ', at + 1)).split('\n').filter((l) => l.startsWith('| `'))
  t.ok(table.length >= 8, `${table.length} overrides`)
  for (const line of table) {
    for (const m of line.split(' | ')[0]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) t.ok(documented.has(m[1]!), `${m[1]} has a row`)
  }
})
