import { createHash, randomBytes } from 'node:crypto'

const ID_BYTES = 32
const ID_RE = /^[A-Za-z0-9_-]{43}$/

/** 256 bits from the CSPRNG, base64url (43 chars). OWASP asks for at least 64 bits of entropy; we keep 256. */
export function newSessionId (): string {
  return randomBytes(ID_BYTES).toString('base64url')
}

export function isSessionId (value: string): boolean {
  return ID_RE.test(value)
}

/** A stable, non-secret name for a session (for lists and logs): it cannot be turned back into the id. */
export function sessionHandle (id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 22)
}
