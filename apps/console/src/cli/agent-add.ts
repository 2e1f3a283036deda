// pnpm --filter @kefu/console agent:add <username> <appid…|--all> [--admin]: lets an agent see and answer mini
// programs; --admin also makes them an administrator (how the first one is made). Uses DATABASE_URL (with
// DATABASE_PASSWORD), or the embedded database under ./data (only while nothing else has it open).
import { openDatabase } from '@kefu/db'
import { readDatabaseUrl, readWechatApps } from '@kefu/service'
import { ConsoleStore } from '../conversations/index.js'
import { TeamStore } from '../team/index.js'

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const admin = args.includes('--admin')
  const [username, ...rest] = args.filter((a) => a !== '--admin')
  if (username === undefined || rest.length === 0) {
    process.stderr.write('usage: pnpm --filter @kefu/console agent:add <username> <appid…|--all> [--admin]\n')
    process.exit(2)
  }
  let appIds = rest
  if (rest.includes('--all')) appIds = readWechatApps(process.env).map((a) => a.appid)
  for (const appId of appIds) {
    if (!/^wx[0-9A-Za-z]{16}$/.test(appId)) throw new Error(`${appId} is not an appid (wx followed by 16 letters or digits)`)
  }
  const db = await openDatabase({ url: readDatabaseUrl(process.env) })
  try {
    const store = new ConsoleStore(db.prisma, Date.now)
    await store.assign(username, appIds)
    const team = new TeamStore(db.prisma)
    if (admin) await team.setRole(username, 'admin')
    const role = (await team.profile(username)).role
    process.stdout.write(`${username} now answers ${(await store.agentApps(username)).join(', ')}${role === 'admin' ? ' (administrator)' : ''}\n`)
  } finally {
    await db.close()
  }
}

main().catch((err: Error) => {
  process.stderr.write(`agent:add: ${err.message}\n`)
  process.exit(1)
})
