import { createHash, randomBytes } from 'node:crypto'

const ID_BYTES = 32
const ID_RE = /^[A-Za-z0-9_-]{43}$/

/** Characters of an id that name its user's slot group (its hash tag in Redis). */
const TAG_CHARS = 2

/**
 * A fresh session id: its user's tag (`userTag`, 2 characters), then 246 bits from the CSPRNG, base64url (43 chars in
 * all). OWASP asks for at least 64 bits of entropy. The tag lets the Redis store find, from the id alone, the hash
 * slot where the user's sessions and their index live together (one slot, so that one script may touch them all on
 * a Redis Cluster). Without a user (tests), the tag is random.
 */
export function newSessionId (userId?: string): string {
  const random = randomBytes(ID_BYTES).toString('base64url')
  return (userId === undefined ? random.slice(0, TAG_CHARS) : userTag(userId)) + random.slice(TAG_CHARS)
}

/** The hash-tag group of a user's sessions: 2 base64url characters of the SHA-256 of the user id (4096 groups). */
export function userTag (userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, TAG_CHARS)
}

/** The hash-tag group a session id carries (its first characters). */
export function sessionTag (id: string): string {
  return id.slice(0, TAG_CHARS)
}

export function isSessionId (value: string): boolean {
  return ID_RE.test(value)
}

/** A stable, non-secret name for a session (for lists and logs): it cannot be turned back into the id. */
export function sessionHandle (id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 22)
}
