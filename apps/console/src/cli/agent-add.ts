// pnpm --filter @kefu/console agent:add <username> <appid…|--all>: lets an agent see and answer mini programs.
// Uses DATABASE_URL, or the embedded database under ./data (only while nothing else has it open).
import { openDatabase } from '@kefu/db'
import { readWechatApps } from '@kefu/service'
import { ConsoleStore } from '../lib/store.js'

async function main (): Promise<void> {
  const [username, ...rest] = process.argv.slice(2)
  if (username === undefined || rest.length === 0) {
    process.stderr.write('usage: pnpm --filter @kefu/console agent:add <username> <appid…|--all>\n')
    process.exit(2)
  }
  let appIds = rest
  if (rest.includes('--all')) appIds = readWechatApps(process.env).map((a) => a.appid)
  for (const appId of appIds) {
    if (!/^wx[0-9A-Za-z]{16}$/.test(appId)) throw new Error(`${appId} is not an appid (wx followed by 16 letters or digits)`)
  }
  const db = await openDatabase({ url: process.env.DATABASE_URL })
  try {
    const store = new ConsoleStore(db.prisma, Date.now)
    await store.assign(username, appIds)
    process.stdout.write(`${username} now answers ${(await store.agentApps(username)).join(', ')}\n`)
  } finally {
    await db.close()
  }
}

main().catch((err: Error) => {
  process.stderr.write(`agent:add: ${err.message}\n`)
  process.exit(1)
})
