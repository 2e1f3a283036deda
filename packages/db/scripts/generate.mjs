// Runs `prisma generate` for the root schema. Prisma's CLI looks for its native schema engine even though
// generation does not use it; pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file keeps it offline.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const schema = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url))
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' }
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath
const result = spawnSync('prisma', ['generate', '--schema', schema], { stdio: 'inherit', env, shell: process.platform === 'win32' })
process.exit(result.status ?? 1)
