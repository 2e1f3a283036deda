import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/** scrypt cost: N (a power of two), r, p. */
export interface ScryptParams {
  N: number
  r: number
  p: number
}

/**
 * OWASP's Password Storage Cheat Sheet lists N=2^15, r=8, p=3 among the equivalent minimums for scrypt:
 * 32 MiB and about 0.2 s per hash on this project's 2-core machines.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 }

const KEY_BYTES = 32
const SALT_BYTES = 16
const MAX_PASSWORD_BYTES = 1024

function derive (password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128 * N * r; the default (32 MiB) is exactly the cost of N=2^15, r=8.
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (err, key) => {
      if (err !== null) reject(err)
      else resolve(key)
    })
  })
}

function validParams (params: ScryptParams): boolean {
  const { N, r, p } = params
  return Number.isSafeInteger(N) && N >= 2 && (N & (N - 1)) === 0 && N <= 2 ** 20 &&
    Number.isSafeInteger(r) && r >= 1 && r <= 32 && Number.isSafeInteger(p) && p >= 1 && p <= 16
}

/** `scrypt$N$r$p$<salt base64url>$<key base64url>`, the format of account.password_hash. */
export async function hashPassword (password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (!validParams(params)) throw new RangeError('invalid scrypt parameters')
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, params)
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

interface ParsedHash { params: ScryptParams, salt: Buffer, key: Buffer }

function parseHash (stored: string): ParsedHash | null {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null
  const [N, r, p] = parts.slice(1, 4).map((x) => /^\d{1,8}$/.test(x) ? Number(x) : NaN) as [number, number, number]
  const params = { N, r, p }
  if (!validParams(params)) return null
  const salt = Buffer.from(parts[4]!, 'base64url')
  const key = Buffer.from(parts[5]!, 'base64url')
  if (salt.length < 8 || key.length !== KEY_BYTES) return null
  return { params, salt, key }
}

export function passwordTooLong (password: string): boolean {
  return Buffer.byteLength(password) > MAX_PASSWORD_BYTES
}

/**
 * Derives the key with the stored parameters and compares in constant time. A malformed hash is a mismatch
 * (after the same work, so it is not told apart by timing either).
 */
export async function verifyPassword (stored: string, password: string, fallback: ScryptParams = DEFAULT_SCRYPT): Promise<boolean> {
  const parsed = parseHash(stored)
  const params = parsed?.params ?? fallback
  const salt = parsed?.salt ?? Buffer.alloc(SALT_BYTES)
  const key = await derive(passwordTooLong(password) ? '' : password, salt, params)
  if (parsed === null || passwordTooLong(password)) return false
  return timingSafeEqual(key, parsed.key)
}

/** True when the hash was made with other parameters than `params` (rehash it at the next successful login). */
export function needsRehash (stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseHash(stored)
  return parsed === null || parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p
}

/**
 * A hash of a random password with the current parameters: unknown usernames are verified against it so that
 * they cost exactly what a wrong password costs (no user enumeration by timing).
 */
export function createDummyHash (params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  return hashPassword(randomBytes(24).toString('base64url'), params)
}
