// The mini_program table's rows as the registry reads and writes them: the columns, which of them are sealed (and the
// context each is sealed under), the options column, and the canonical JSON an import compares WECHAT_APPS with.
/** Who changed a row imported from WECHAT_APPS. */
export const CONFIGURATION = 'configuration'

export const SEALED = ['token', 'encodingAESKey', 'previousEncodingAESKey', 'secret', 'profileSecret'] as const
export type SealedField = typeof SEALED[number]
export const COLUMN: Record<SealedField, string> = {
  token: 'token',
  encodingAESKey: 'encoding_aes_key',
  previousEncodingAESKey: 'previous_encoding_aes_key',
  secret: 'secret',
  profileSecret: 'profile_secret'
}

/** The additional authenticated data of a sealed column: a value copied to another row or column does not open. */
export function secretContext (appid: string, column: string): string {
  return `mini_program:${appid}:${column}`
}

export interface Row {
  id: bigint
  appId: string
  name: string | null
  originalId: string | null
  token: string | null
  encodingAesKey: string | null
  previousEncodingAesKey: string | null
  secret: string | null
  profileSecret: string | null
  messageFormat: string
  options: unknown
  enabled: boolean
  source: string
  pictureUrl: string | null
  changedBy: string | null
  changedAt: Date
}

export interface Options { transferCustomerService?: boolean, profileUrl?: string, subscribeTemplates?: unknown }

export function sealedValue (row: Row, field: SealedField): string | null {
  switch (field) {
    case 'token': return row.token
    case 'encodingAESKey': return row.encodingAesKey
    case 'previousEncodingAESKey': return row.previousEncodingAesKey
    case 'secret': return row.secret
    case 'profileSecret': return row.profileSecret
  }
}

/** A WECHAT_APPS object as JSON with every object's keys sorted and undefined fields left out (jsonb reorders keys). */
export function canonical (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
