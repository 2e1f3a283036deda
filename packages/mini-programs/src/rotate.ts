// Re-seals every stored secret under KEFU_SECRET_KEY's first key, so that an older key can then be removed from it.
import type { PrismaClient } from '@kefu/db'
import type { SecretBox } from '@kefu/secrets'
import { refreshTokenContext, ticketContext } from './component-store.js'
import { secretContext } from './rows.js'

const COLUMNS = ['token', 'encoding_aes_key', 'previous_encoding_aes_key', 'secret', 'profile_secret'] as const

export interface ResealResult {
  /** Values re-sealed under the current key. */
  resealed: number
  /** Values already under it. */
  current: number
  /** `appid column: why`, for values that do not open with any key listed (nothing written for them). */
  failed: string[]
}

/**
 * Each value is replaced only if it is still the one read (a concurrent change wins), and its plaintext is unchanged,
 * so the rows' changed_at stays and running instances have nothing to reload.
 */
export async function resealSecrets (prisma: PrismaClient, secrets: SecretBox): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, current: 0, failed: [] }
  const rows = await prisma.$queryRawUnsafe<Array<Record<string, string | null>>>(`SELECT app_id, ${COLUMNS.join(', ')} FROM mini_program ORDER BY id`)
  for (const row of rows) {
    const appid = row.app_id!
    for (const column of COLUMNS) {
      const sealed = row[column]
      if (sealed === null || sealed === undefined) continue
      let resealed: string
      try {
        if (secrets.isCurrent(sealed)) {
          result.current++
          continue
        }
        const context = secretContext(appid, column)
        resealed = secrets.seal(secrets.open(sealed, context), context)
      } catch (err) {
        result.failed.push(`${appid} ${column}: ${(err as Error).message}`)
        continue
      }
      await prisma.$executeRawUnsafe(`UPDATE mini_program SET ${column} = $1 WHERE app_id = $2 AND ${column} = $3`, resealed, appid, sealed)
      result.resealed++
    }
  }
  // Third-party platform mode: the last ticket and the authorizers' refresh tokens.
  const others: Array<{ table: string, key: string, column: string, context: (id: string) => string }> = [
    { table: 'wechat_component', key: 'app_id', column: 'verify_ticket', context: ticketContext },
    { table: 'component_authorizer', key: 'app_id', column: 'refresh_token', context: refreshTokenContext }
  ]
  for (const { table, key, column, context } of others) {
    const sealedRows = await prisma.$queryRawUnsafe<Array<{ id: string, sealed: string | null }>>(`SELECT ${key} AS id, ${column} AS sealed FROM ${table} ORDER BY ${key}`)
    for (const { id, sealed } of sealedRows) {
      if (sealed === null) continue
      if (secrets.isCurrent(sealed)) {
        result.current++
        continue
      }
      let resealed: string
      try {
        resealed = secrets.seal(secrets.open(sealed, context(id)), context(id))
      } catch (err) {
        result.failed.push(`${id} ${table}.${column}: ${(err as Error).message}`)
        continue
      }
      await prisma.$executeRawUnsafe(`UPDATE ${table} SET ${column} = $1 WHERE ${key} = $2 AND ${column} = $3`, resealed, id, sealed)
      result.resealed++
    }
  }
  return result
}
