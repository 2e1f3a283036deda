// pnpm db:migrate: applies prisma/migrations to DATABASE_URL (with DATABASE_PASSWORD, as the services read them), or to
// the embedded database under ./data without one.
import path from 'node:path'
import { ConfigError, readDatabaseUrl } from '@kefu/service'
import { startEmbeddedPostgres } from './embedded.js'
import { migrate } from './migrate.js'
import { defaultDataDir } from './paths.js'

async function main (): Promise<void> {
  const log = (line: string): void => { console.log(line) }
  const url = readDatabaseUrl(process.env)
  if (url !== undefined) {
    const result = await migrate(url, { log })
    console.log(`${result.applied.length} applied, ${result.alreadyApplied.length} already applied`)
    return
  }
  const dataDir = path.join(defaultDataDir(), 'pg')
  const server = await startEmbeddedPostgres({ dataDir })
  try {
    const result = await migrate(server.url, { log })
    console.log(`embedded database ${dataDir}: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`)
  } finally {
    await server.close()
  }
}

main().catch((err: Error) => {
  console.error(err instanceof ConfigError ? `db:migrate: ${err.message}` : `db:migrate failed: ${err.message}`)
  process.exit(1)
})
