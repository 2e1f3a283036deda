// Secrets at rest (AppSecrets, EncodingAESKeys, tokens…): AES-256-GCM under KEFU_SECRET_KEY. Each sealed value names
// the key that sealed it, so KEFU_SECRET_KEY may list several: the first seals, every one opens, and
// `pnpm --filter @kefu/mini-programs secrets:rotate` re-seals what is stored under the first.
import crypto from 'node:crypto'
import { ConfigError, refusePlaceholder, type Env } from '@kefu/service'

export const SECRET_KEY_VARIABLE = 'KEFU_SECRET_KEY'

export interface SecretKey {
  /** 1 to 32 letters, digits, `_` or `-`; written in front of every value it seals. */
  id: string
  /** 32 bytes. */
  key: Buffer
}

/** A sealed value that cannot be opened: unknown key id, wrong key, tampered or truncated. */
export class SecretError extends Error {
  override name = 'SecretError'
}

const VERSION = 'v1'
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const IV_BYTES = 12
const TAG_BYTES = 16
const HELP = 'id:base64-of-32-random-bytes[,id:…] (e.g. k1:$(openssl rand -base64 32))'

/**
 * Seals and opens strings. `context` (additional authenticated data) ties a sealed value to where it is stored
 * (`mini_program:<appid>:secret`), so a value copied into another row or column does not open there.
 */
export class SecretBox {
  readonly #keys: Map<string, Buffer>
  readonly #current: SecretKey

  constructor (keys: SecretKey[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key')
    this.#keys = new Map()
    for (const k of keys) {
      if (!KEY_ID.test(k.id)) throw new Error(`secret key id "${k.id}" must be 1 to 32 letters, digits, _ or -`)
      if (k.key.length !== 32) throw new Error(`secret key ${k.id} must be 32 bytes`)
      if (this.#keys.has(k.id)) throw new Error(`secret key id ${k.id} is listed twice`)
      this.#keys.set(k.id, k.key)
    }
    this.#current = keys[0]!
  }

  /** The id of the key new values are sealed with. */
  get currentKeyId (): string { return this.#current.id }

  seal (plaintext: string, context = ''): string {
    const iv = crypto.randomBytes(IV_BYTES)
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#current.key, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}:${this.#current.id}:${body.toString('base64url')}`
  }

  open (sealed: string, context = ''): string {
    const { keyId, body } = split(sealed)
    const key = this.#keys.get(keyId)
    if (key === undefined) throw new SecretError(`sealed with key "${keyId}", which ${SECRET_KEY_VARIABLE} does not list`)
    if (body.length < IV_BYTES + TAG_BYTES) throw new SecretError('sealed value is truncated')
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
    try {
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8')
    } catch {
      throw new SecretError(`sealed value does not open with key "${keyId}" (another key under that id, or the value was altered)`)
    }
  }

  /** The id of the key a sealed value names. */
  keyIdOf (sealed: string): string { return split(sealed).keyId }

  /** True when `sealed` is under the current key (nothing for a rotation to do). */
  isCurrent (sealed: string): boolean { return this.keyIdOf(sealed) === this.#current.id }
}

function split (sealed: string): { keyId: string, body: Buffer } {
  const parts = sealed.split(':')
  if (parts.length !== 3 || parts[0] !== VERSION || !KEY_ID.test(parts[1]!) || !/^[A-Za-z0-9_-]+$/.test(parts[2]!)) {
    throw new SecretError('not a sealed value (v1:<key id>:<base64url>)')
  }
  return { keyId: parts[1]!, body: Buffer.from(parts[2]!, 'base64url') }
}

/** Parses `id:base64[,id:base64…]`; throws ConfigError with one line naming `name`. */
export function parseSecretKeys (value: string, name = SECRET_KEY_VARIABLE): SecretKey[] {
  refusePlaceholder(name, value)
  const keys: SecretKey[] = []
  for (const [i, item] of value.split(',').map((s) => s.trim()).entries()) {
    const at = value.includes(',') ? `${name} key ${i + 1}` : name
    const colon = item.indexOf(':')
    if (colon < 0) throw new ConfigError(`${at} must be ${HELP}`)
    const id = item.slice(0, colon)
    const encoded = item.slice(colon + 1)
    if (!KEY_ID.test(id)) throw new ConfigError(`${at}: the id "${id}" must be 1 to 32 letters, digits, _ or -; the form is ${HELP}`)
    refusePlaceholder(`${at} (${id})`, encoded)
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new ConfigError(`${at} (${id}) is not base64; the form is ${HELP}`)
    const key = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    if (key.length !== 32) throw new ConfigError(`${at} (${id}) must be 32 bytes in base64, got ${key.length}; the form is ${HELP}`)
    if (keys.some((k) => k.id === id)) throw new ConfigError(`${at}: the id "${id}" is listed twice`)
    keys.push({ id, key })
  }
  return keys
}

/** A random key, for a start that keeps nothing (embedded mode) and for tests. */
export function generateSecretKey (id = 'generated'): SecretKey {
  return { id, key: crypto.randomBytes(32) }
}

export interface SecretKeyConfig {
  keys: SecretKey[]
  /** True when KEFU_SECRET_KEY was unset and a key was made for this start (embedded mode only). */
  generated: boolean
}

/**
 * KEFU_SECRET_KEY. Embedded mode (no DATABASE_URL: `generateMissing`) makes a key for this start when it is unset,
 * as SESSION_SECRET is made; otherwise it is required.
 */
export function readSecretKeys (env: Env, options: { generateMissing: boolean }): SecretKeyConfig {
  const raw = env[SECRET_KEY_VARIABLE]?.trim()
  if (raw === undefined || raw === '') {
    if (!options.generateMissing) throw new ConfigError(`${SECRET_KEY_VARIABLE} is required with DATABASE_URL: ${HELP}`)
    return { keys: [generateSecretKey()], generated: true }
  }
  return { keys: parseSecretKeys(raw), generated: false }
}
