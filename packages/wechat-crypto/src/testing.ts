// Test helpers (the `@kefu/wechat-crypto/testing` entry): build the ciphertexts a hostile or broken sender could make,
// which the package's own encrypt never would. Never imported by running code.
import crypto from 'node:crypto'

/** AES-256-CBC of `plain` as it is, with no padding added (the caller frames and pads it), IV = key[0..16), base64. */
export function rawEncrypt (aesKey: Buffer, plain: Buffer): string {
  const c = crypto.createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16))
  c.setAutoPadding(false)
  return Buffer.concat([c.update(plain), c.final()]).toString('base64')
}

/**
 * WeChat's plaintext frame: 16 random bytes, the message length (4 bytes, big-endian), the message, the appid, then
 * PKCS#7 padding to 32-byte blocks, or `pad` bytes of value `pad` when given (to build bad padding).
 */
export function frame (message: string, appid: string, pad?: number): Buffer {
  const body = Buffer.from(message)
  const head = Buffer.alloc(20)
  crypto.randomBytes(16).copy(head)
  head.writeUInt32BE(body.length, 16)
  const content = Buffer.concat([head, body, Buffer.from(appid)])
  const p = pad ?? 32 - (content.length % 32)
  return Buffer.concat([content, Buffer.alloc(p, p)])
}
