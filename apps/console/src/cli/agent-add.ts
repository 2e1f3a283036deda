// pnpm --filter @kefu/console agent:add <username> <appid…|--all> [--admin] [--owner]: lets an agent see and answer
// mini programs; --admin also makes them an administrator (how the first one is made); --owner makes them an owner
// (an administrator who also manages the mini programs themselves: the Mini programs page). --all: every mini program
// of the mini_program table. Uses DATABASE_URL (with DATABASE_PASSWORD), or the embedded database under ./data (only
// while nothing else has it open).
import { openDatabase } from '@kefu/db'
import { readDatabaseUrl } from '@kefu/service'
import { ConsoleStore } from '../conversations/index.js'
import { TeamStore } from '../team/index.js'

const FLAGS = new Set(['--admin', '--owner'])

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const owner = args.includes('--owner')
  const admin = owner || args.includes('--admin')
  const [username, ...rest] = args.filter((a) => !FLAGS.has(a))
  if (username === undefined || (rest.length === 0 && !owner)) {
    process.stderr.write('usage: pnpm --filter @kefu/console agent:add <username> <appid…|--all> [--admin] [--owner]\n')
    process.exit(2)
  }
  const explicit = rest.filter((a) => a !== '--all')
  for (const appId of explicit) {
    if (!/^wx[0-9A-Za-z]{16}$/.test(appId)) throw new Error(`${appId} is not an appid (wx followed by 16 letters or digits)`)
  }
  const db = await openDatabase({ url: readDatabaseUrl(process.env) })
  try {
    const appIds = rest.includes('--all')
      ? (await db.prisma.miniProgram.findMany({ select: { appId: true }, orderBy: { appId: 'asc' } })).map((r) => r.appId)
      : explicit
    const store = new ConsoleStore(db.prisma, Date.now)
    if (appIds.length > 0) await store.assign(username, appIds)
    const team = new TeamStore(db.prisma)
    if (owner) await team.setOwner(username, true)
    else if (admin) await team.setRole(username, 'admin')
    const profile = await team.profile(username)
    const role = profile.owner ? ' (owner and administrator)' : profile.role === 'admin' ? ' (administrator)' : ''
    process.stdout.write(`${username} now answers ${(await store.agentApps(username)).join(', ') || 'no mini program yet'}${role}\n`)
  } finally {
    await db.close()
  }
}

main().catch((err: Error) => {
  process.stderr.write(`agent:add: ${err.message}\n`)
  process.exit(1)
})
