import crypto from 'node:crypto'
import { WechatCryptoError } from './errors.js'

/** WeChat pads to 32-byte blocks (PKCS#7 with k = 32), not AES's 16. */
const PAD_BLOCK = 32
const AES_KEY = /^[A-Za-z0-9+/]{43}$/

export interface DecryptedMessage {
  /** The 16 random bytes WeChat put in front of the message. */
  random: Buffer
  /** The plaintext message: JSON or XML, as WeChat wrote it. */
  message: string
  /** The appid WeChat appended; already checked against the cipher's appid. */
  appid: string
}

/**
 * Decodes standard, padded base64 into a buffer that starts with `prefix`. Node's decoder skips characters outside
 * the alphabet, so a decoded size short of what the length promises exposes them; it also takes the URL-safe
 * alphabet, which is refused separately.
 */
function decodeBase64After (prefix: Buffer, text: string): { buffer: Buffer, length: number } {
  const n = typeof text === 'string' ? text.length : 0
  if (n === 0 || n % 4 !== 0 || text.indexOf('-') !== -1 || text.indexOf('_') !== -1) {
    throw new WechatCryptoError('BAD_BASE64', 'Encrypt is not valid base64')
  }
  const pads = text.charCodeAt(n - 1) !== 61 ? 0 : text.charCodeAt(n - 2) !== 61 ? 1 : 2
  const expected = (n >>> 2) * 3 - pads
  const buffer = Buffer.allocUnsafe(prefix.length + expected + 3)
  prefix.copy(buffer, 0)
  const length = buffer.write(text, prefix.length, 'base64')
  if (length !== expected) throw new WechatCryptoError('BAD_BASE64', 'Encrypt is not valid base64')
  return { buffer: buffer.subarray(0, prefix.length + length), length }
}

/** Decodes a 43-character EncodingAESKey into the 32-byte AES key. */
export function decodeAESKey (encodingAESKey: string): Buffer {
  if (typeof encodingAESKey !== 'string' || !AES_KEY.test(encodingAESKey)) {
    throw new WechatCryptoError('BAD_AES_KEY', 'EncodingAESKey must be 43 characters of base64 (A-Z, a-z, 0-9, +, /)')
  }
  const key = Buffer.from(encodingAESKey + '=', 'base64')
  if (key.length !== 32) throw new WechatCryptoError('BAD_AES_KEY', 'EncodingAESKey does not decode to 32 bytes')
  return key
}

/**
 * AES-256-CBC message crypto for one mini program (one appid, one EncodingAESKey).
 * Plaintext layout: random(16) | msg_len(4, big-endian) | msg | appid, PKCS#7-padded to 32 bytes; IV = key[0..16].
 *
 * Decryption keeps one CBC decipher alive instead of building one per message: CBC decrypts each block with the
 * previous ciphertext block, so feeding the IV as a leading block (its output discarded) sets up the chain for the
 * real first block, whatever came before. Inputs are whole blocks and padding is off, so nothing carries over.
 */
export class MessageCipher {
  readonly appid: string
  readonly #key: Buffer
  readonly #iv: Buffer
  #cbc: crypto.Decipher | undefined

  constructor (encodingAESKey: string, appid: string) {
    this.#key = decodeAESKey(encodingAESKey)
    this.#iv = this.#key.subarray(0, 16)
    this.appid = appid
  }

  /** Decrypts a base64 `Encrypt` value and checks padding, length and appid. Throws `WechatCryptoError`. */
  decrypt (encrypt: string): DecryptedMessage {
    const decoded = decodeBase64After(this.#iv, encrypt)
    if (decoded.length === 0 || decoded.length % PAD_BLOCK !== 0) {
      throw new WechatCryptoError('BAD_CIPHERTEXT', 'Encrypt does not hold a whole number of 32-byte blocks')
    }
    const plain = this.#decryptBlocks(decoded.buffer)
    const length = plain.length
    const pad = plain[length - 1]!
    if (pad < 1 || pad > PAD_BLOCK) throw new WechatCryptoError('BAD_PADDING', 'bad PKCS#7 padding')
    for (let i = length - pad; i < length - 1; i++) {
      if (plain[i] !== pad) throw new WechatCryptoError('BAD_PADDING', 'bad PKCS#7 padding')
    }
    const end = length - pad
    if (end < 20) throw new WechatCryptoError('BAD_LENGTH', 'decrypted content too short')
    const messageLength = plain.readUInt32BE(16)
    if (messageLength > end - 20) throw new WechatCryptoError('BAD_LENGTH', 'message length exceeds decrypted content')
    const appid = plain.toString('utf8', 20 + messageLength, end)
    if (appid !== this.appid) throw new WechatCryptoError('APPID_MISMATCH', 'appid in the decrypted message does not match')
    return {
      random: plain.subarray(0, 16),
      message: plain.toString('utf8', 20, 20 + messageLength),
      appid
    }
  }

  /** Encrypts a message the way WeChat does; `random` is 16 bytes (a 16-character string or a Buffer). */
  encrypt (message: string, random: Buffer | string = crypto.randomBytes(16)): string {
    const rand = typeof random === 'string' ? Buffer.from(random, 'utf8') : random
    if (rand.length !== 16) throw new WechatCryptoError('BAD_LENGTH', 'random must be 16 bytes')
    const body = Buffer.from(message, 'utf8')
    const appid = Buffer.from(this.appid, 'utf8')
    const size = 20 + body.length + appid.length
    const pad = PAD_BLOCK - (size % PAD_BLOCK)
    const plain = Buffer.alloc(size + pad, pad)
    rand.copy(plain, 0)
    plain.writeUInt32BE(body.length, 16)
    body.copy(plain, 20)
    appid.copy(plain, 20 + body.length)
    const cipher = crypto.createCipheriv('aes-256-cbc', this.#key, this.#iv)
    cipher.setAutoPadding(false)
    return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
  }

  /** `blocks` = IV | ciphertext; returns the plaintext of the ciphertext. */
  #decryptBlocks (blocks: Buffer): Buffer {
    if (this.#cbc === undefined) {
      this.#cbc = crypto.createDecipheriv('aes-256-cbc', this.#key, this.#iv)
      this.#cbc.setAutoPadding(false)
    }
    const out = this.#cbc.update(blocks)
    if (out.length !== blocks.length) {
      this.#cbc = undefined
      throw new WechatCryptoError('BAD_CIPHERTEXT', 'block decryption returned a partial result')
    }
    return out.subarray(16)
  }
}
