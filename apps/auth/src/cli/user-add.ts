// pnpm --filter @kefu/auth user:add <username> [<password> | -]
// Creates the account or sets a new password. Without a password argument (or with "-") the password is read
// from standard input, so it stays out of the shell history.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { defaultDataDir, openDatabase } from '@kefu/db'
import { ConfigError, readDatabaseUrl } from '@kefu/service'
import { accountProblem, upsertAccount } from '../lib/accounts.js'

const USAGE = 'usage: pnpm --filter @kefu/auth user:add <username> [<password> | -]'

async function readStdin (): Promise<string> {
  if (process.stdin.isTTY === true) process.stderr.write('password: ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

export async function userAdd (argv: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const [username, passwordArg, ...rest] = argv
  if (username === undefined || username.startsWith('-') || rest.length > 0) {
    out(USAGE)
    return 2
  }
  const password = passwordArg === undefined || passwordArg === '-' ? await readStdin() : passwordArg
  const problem = accountProblem(username, password)
  if (problem !== null) {
    out(`user:add: ${problem}`)
    return 1
  }
  const url = readDatabaseUrl(env)
  let dataDir: string | undefined
  if (url === undefined) {
    // The embedded database (PGlite) is one process's files: opening them from a second process while kefu runs
    // would corrupt them. PGlite keeps postmaster.pid in the directory while it has it open.
    dataDir = path.join(defaultDataDir(env), 'pg')
    if (existsSync(path.join(dataDir, 'postmaster.pid'))) {
      out(`user:add: the embedded database in ${dataDir} is in use: stop kefu (pnpm start) first, then run user:add again ` +
        '(or set DATABASE_URL to a PostgreSQL server). If nothing is running, a crash left postmaster.pid behind: delete it.')
      return 1
    }
  }
  const db = await openDatabase({ url, dataDir })
  try {
    const outcome = await upsertAccount(db.prisma, username, password)
    out(outcome === 'created' ? `created account ${username}` : `set a new password for ${username}`)
    return 0
  } finally {
    await db.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  userAdd(process.argv.slice(2), process.env, (line) => { process.stdout.write(line + '\n') })
    .then((code) => { process.exitCode = code })
    .catch((err: Error) => {
      process.stderr.write(`user:add: ${err instanceof ConfigError ? err.message : err.message.split('\n')[0]}\n`)
      process.exitCode = 1
    })
}
