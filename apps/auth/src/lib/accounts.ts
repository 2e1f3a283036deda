import type { PrismaClient } from '@kefu/db'
import { DEFAULT_SCRYPT, hashPassword, passwordTooLong, type ScryptParams } from './password.js'

export const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/
export const MIN_PASSWORD_LENGTH = 8

/** Why a username or password cannot be stored; null when both are fine. */
export function accountProblem (username: string, password: string): string | null {
  if (!USERNAME_RE.test(username)) return 'username must be 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit'
  if ([...password].length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`
  if (passwordTooLong(password)) return 'password must be at most 1024 bytes'
  return null
}

/**
 * Creates the account, or sets a new password on an existing one. Resolves to which of the two happened.
 * A reset also ends every sign-in that began before `now` (`sessions_valid_from`): each running auth instance ends
 * those sessions within its poll interval and tells the B sites. The launcher seeds its demo account with this;
 * `pnpm --filter @kefu/auth user:add` calls it too.
 */
export async function upsertAccount (prisma: PrismaClient, username: string, password: string, params: ScryptParams = DEFAULT_SCRYPT, now: Date = new Date()): Promise<'created' | 'reset'> {
  const problem = accountProblem(username, password)
  if (problem !== null) throw new RangeError(problem)
  const passwordHash = await hashPassword(password, params)
  const existing = await prisma.account.findUnique({ where: { username }, select: { id: true } })
  await prisma.account.upsert({ where: { username }, create: { username, passwordHash }, update: { passwordHash, sessionsValidFrom: now } })
  return existing === null ? 'created' : 'reset'
}
