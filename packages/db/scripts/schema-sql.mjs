// Prints the SQL that turns one Prisma schema into another, computed by Prisma 6.19's JavaScript schema engine
// (the native engine that Prisma 7 needs cannot be downloaded everywhere). Use it to write a new migration:
//   pnpm --filter @kefu/db schema:sql [--from old.prisma] [--to new.prisma] > prisma/migrations/<stamp>_<name>/migration.sql
// Without --from it starts from an empty database; without --to it uses prisma/schema.prisma.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

/** `url`: any reachable PostgreSQL; Prisma's engine connects to it but reads and writes nothing there. */
export async function schemaSql ({ url, from, to = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url)) }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-schema-sql-'))
  try {
    // Prisma 6 wants a datasource url even for a pure datamodel diff; it is never connected to.
    const prepare = (file, name) => {
      const text = readFileSync(file, 'utf8').replace(/provider\s*=\s*"postgresql"/, 'provider = "postgresql"\n  url = env("KEFU_UNUSED_URL")')
      const out = path.join(dir, name)
      writeFileSync(out, text)
      return out
    }
    const adapterPath = require.resolve('adapter-pg6')
    writeFileSync(path.join(dir, 'prisma.config.mjs'), `import { PrismaPg } from ${JSON.stringify(adapterPath)}
export default {
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PrismaPg({ connectionString: ${JSON.stringify(url)}, max: 1 })
}
`)
    const args = [require.resolve('prisma6/build/index.js'), 'migrate', 'diff', '--config', path.join(dir, 'prisma.config.mjs'),
      ...(from === undefined ? ['--from-empty'] : ['--from-schema-datamodel', prepare(from, 'from.prisma')]),
      '--to-schema-datamodel', prepare(to, 'to.prisma'), '--script']
    const existing = process.execPath
    let result
    try {
      result = await promisify(execFile)(process.execPath, args, {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, KEFU_UNUSED_URL: 'postgresql://unused', PRISMA_QUERY_ENGINE_LIBRARY: existing, PRISMA_SCHEMA_ENGINE_BINARY: existing, PRISMA_HIDE_UPDATE_MESSAGE: '1' }
      })
    } catch (err) {
      throw new Error(`prisma migrate diff failed: ${(err.stderr || err.stdout || err.message).trim()}`)
    }
    // A migration never creates the public schema; the diff from empty does.
    return result.stdout.replace(/^-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n/m, '')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
  let server
  try {
    let url = process.env.DATABASE_URL
    if (url === undefined || url === '') {
      const { startEmbeddedPostgres } = await import('../dist/embedded.js')
      server = await startEmbeddedPostgres()
      url = server.url
    }
    process.stdout.write(await schemaSql({ url, from: arg('--from'), to: arg('--to') }))
  } catch (err) {
    console.error(err.message)
    process.exitCode = 1
  } finally {
    await server?.close()
  }
}
