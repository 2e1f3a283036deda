// Ingest runs with a V8 flag (see docs/benchmarks.md, "Why ingest runs with …"): its start script holds it, and every
// other way it is started in production says the same, so the one measured by `pnpm bench:ingest` is the one deployed.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { ingestNodeFlags } from '../bench/node-flags.js'

const read = (relative: string): string => readFileSync(new URL(relative, import.meta.url), 'utf8')
const start = (JSON.parse(read('../package.json')) as { scripts: { start: string } }).scripts.start
// The flags the benchmark starts ingest with.
const flags = ingestNodeFlags()

t.test('the start script runs the server with its flags', async (t) => {
  t.same(flags, ['--no-allocation-site-pretenuring'])
  t.equal(start, `node ${flags.join(' ')} dist/server.js`)
})

t.test('this Node accepts the flags', async (t) => {
  const run = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' })
  t.equal(run.status, 0, run.stderr)
  t.equal(run.stderr, '')
})

t.test('the image and docker-compose.yml start ingest with the same flags', async (t) => {
  const command = JSON.stringify(['node', ...flags, 'apps/ingest/dist/server.js'])
  const quoted = command.replaceAll(',', ', ')
  t.ok(read('../../../Dockerfile').includes(`CMD ${quoted}`), `Dockerfile: CMD ${quoted}`)
  t.match(read('../../../docker-compose.yml'), new RegExp(`\\n  ingest:\\n(?:    .*\\n)*?    command: ${quoted.replace(/[[\]]/g, '\\$&')}\\n`), `docker-compose.yml ingest: command: ${quoted}`)
})
