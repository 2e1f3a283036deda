// pnpm secrets:rotate (pnpm --filter @kefu/mini-programs secrets:rotate): re-seals every stored secret under
// KEFU_SECRET_KEY's first key, on DATABASE_URL (with DATABASE_PASSWORD, as the services read them).
import { openDatabase } from '@kefu/db'
import { SecretBox, readSecretKeys } from '@kefu/secrets'
import { ConfigError, readDatabaseUrl } from '@kefu/service'
import { resealSecrets } from './rotate.js'

async function main (): Promise<number> {
  const url = readDatabaseUrl(process.env)
  if (url === undefined) throw new ConfigError('DATABASE_URL is required (the embedded database\'s key is made anew at each start: there is nothing to rotate)')
  const { keys } = readSecretKeys(process.env, { generateMissing: false })
  const secrets = new SecretBox(keys)
  const db = await openDatabase({ url, poolMax: 1 })
  try {
    const result = await resealSecrets(db.prisma, secrets)
    console.log(`${result.resealed} re-sealed under key ${secrets.currentKeyId}, ${result.current} already under it, ${result.failed.length} could not be opened`)
    for (const line of result.failed) console.error(`  ${line}`)
    return result.failed.length === 0 ? 0 : 1
  } finally {
    await db.close()
  }
}

main().then((code) => { process.exitCode = code }, (err: Error) => {
  console.error(err instanceof ConfigError ? `secrets:rotate: ${err.message}` : `secrets:rotate failed: ${err.message}`)
  process.exit(1)
})
