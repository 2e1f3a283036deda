// pnpm --filter @kefu/auth user:add <username> [<password> | -]
// Creates the account or sets a new password. Without a password argument (or with "-") the password is read
// from standard input, so it stays out of the shell history.
import path from 'node:path'
import { defaultDataDir, EmbeddedDatabaseBusyError, openDatabase } from '@kefu/db'
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
  const dataDir = url === undefined ? path.join(defaultDataDir(env), 'pg') : undefined
  let db
  try {
    db = await openDatabase({ url, dataDir })
  } catch (err) {
    // The embedded database is one process's files: while kefu runs, it holds them.
    if (err instanceof EmbeddedDatabaseBusyError) {
      out(`user:add: ${err.message}`)
      return 1
    }
    throw err
  }
  try {
    const outcome = await upsertAccount(db.prisma, username, password)
    out(outcome === 'created'
      ? `created account ${username}`
      : `set a new password for ${username}; its earlier sign-ins end within seconds, on A and every B site (a running auth ends them)`)
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
