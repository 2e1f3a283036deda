import crypto from 'node:crypto'

const sha1Hex: (data: string) => string = typeof (crypto as { hash?: unknown }).hash === 'function'
  ? function sha1OneShot (data) { return crypto.hash('sha1', data, 'hex') }
  : function sha1Stream (data) { return crypto.createHash('sha1').update(data).digest('hex') }

/**
 * WeChat's signature: sha1 over the lexicographically sorted parts, concatenated.
 * `signature` = sha1(sort([token, timestamp, nonce])),
 * `msg_signature` = sha1(sort([token, timestamp, nonce, Encrypt])).
 * https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html
 */
export function sha1Signature (...parts: string[]): string {
  return sha1Hex(parts.sort().join(''))
}

export function computeSignature (token: string, timestamp: string, nonce: string): string {
  return sha1Signature(token, timestamp, nonce)
}

export function computeMsgSignature (token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sha1Signature(token, timestamp, nonce, encrypt)
}

/** Constant-time comparison of two hex signatures; false for anything that is not 40 hex chars. */
export function safeEqualHex (expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false
  const a = Buffer.from(expected, 'latin1')
  const b = Buffer.from(given.toLowerCase(), 'latin1')
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

export function verifySignature (token: string, timestamp: string, nonce: string, signature: unknown): boolean {
  return safeEqualHex(computeSignature(token, timestamp, nonce), signature)
}

export function verifyMsgSignature (token: string, timestamp: string, nonce: string, encrypt: string, msgSignature: unknown): boolean {
  return safeEqualHex(computeMsgSignature(token, timestamp, nonce, encrypt), msgSignature)
}
