import crypto from 'node:crypto'

const oneShotHash = (crypto as { hash?: typeof crypto.hash }).hash

function sha1Hex (data: string): string {
  return oneShotHash !== undefined ? oneShotHash('sha1', data, 'hex') : crypto.createHash('sha1').update(data).digest('hex')
}

/** Sorts in place by UTF-16 code units, as Array.prototype.sort does for strings, without its per-call setup. */
function sortStrings (parts: string[]): string[] {
  for (let i = 1; i < parts.length; i++) {
    const value = parts[i]!
    let j = i - 1
    while (j >= 0 && parts[j]! > value) {
      parts[j + 1] = parts[j]!
      j--
    }
    parts[j + 1] = value
  }
  return parts
}

function digest (parts: string[]): string {
  return sha1Hex(sortStrings(parts).join(''))
}

/**
 * WeChat's signature: sha1 over the lexicographically sorted parts, concatenated.
 * `signature` = sha1(sort([token, timestamp, nonce])),
 * `msg_signature` = sha1(sort([token, timestamp, nonce, Encrypt])).
 * https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html
 */
export function sha1Signature (...parts: string[]): string {
  return digest(parts)
}

export function computeSignature (token: string, timestamp: string, nonce: string): string {
  return sha1Signature(token, timestamp, nonce)
}

export function computeMsgSignature (token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sha1Signature(token, timestamp, nonce, encrypt)
}

/**
 * Compares a given signature with the expected lowercase hex digest in time that does not depend on where they differ
 * (no early exit); hex case is ignored. Anything that is not a 40-character string is simply false.
 */
function matches (expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== 40 || expected.length !== 40) return false
  let diff = 0
  for (let i = 0; i < 40; i++) diff |= expected.charCodeAt(i) ^ (given.charCodeAt(i) | 0x20)
  return diff === 0
}

/** Constant-time comparison of two hex signatures; false for anything that is not 40 hex digits. */
export function safeEqualHex (expected: string, given: unknown): boolean {
  return /^[0-9a-f]{40}$/.test(expected) && matches(expected, given)
}

export function verifySignature (token: string, timestamp: string, nonce: string, signature: unknown): boolean {
  return matches(digest([token, timestamp, nonce]), signature)
}

export function verifyMsgSignature (token: string, timestamp: string, nonce: string, encrypt: string, msgSignature: unknown): boolean {
  return matches(digest([token, timestamp, nonce, encrypt]), msgSignature)
}
