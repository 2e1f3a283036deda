import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** prisma/migrations of this repository (the package sits at packages/db, its build at packages/db/dist). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url))

/** The repository root: the nearest directory upward holding pnpm-workspace.yaml, else the working directory. */
export function findRepoRoot (from: string = process.cwd()): string {
  let dir = path.resolve(from)
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return path.resolve(from)
    dir = parent
  }
}

/** Where embedded PostgreSQL keeps its files: DATA_DIR, or ./data at the repository root. */
export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  return env.DATA_DIR !== undefined && env.DATA_DIR !== '' ? path.resolve(env.DATA_DIR) : path.join(findRepoRoot(), 'data')
}
