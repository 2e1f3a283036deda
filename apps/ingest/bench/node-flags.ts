import { readFileSync } from 'node:fs'

/**
 * The Node flags ingest ships with: those of its start script (`node <flags> dist/server.js`). The benchmark starts
 * ingest with them; test/node-flags.test.ts checks that the Dockerfile and docker-compose.yml give the same.
 */
export function ingestNodeFlags (): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }
  return pkg.scripts.start.split(' ').filter((word) => word.startsWith('--'))
}
