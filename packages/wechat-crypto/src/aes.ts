import crypto from 'node:crypto'
import { WechatCryptoError } from './errors.js'

/** WeChat pads to 32-byte blocks (PKCS#7 with k = 32), not AES's 16. */
const PAD_BLOCK = 32
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const AES_KEY = /^[A-Za-z0-9+/]{43}$/

export interface DecryptedMessage {
  /** The 16 random bytes WeChat put in front of the message. */
  random: Buffer
  /** The plaintext message: JSON or XML, as WeChat wrote it. */
  message: string
  /** The appid WeChat appended; already checked against the cipher's appid. */
  appid: string
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
 * Decryption runs CBC by hand over one long-lived ECB decipher: every input is a whole number of blocks and padding
 * is off, so the ECB context carries no state between calls, and no cipher is built per message.
 */
export class MessageCipher {
  readonly appid: string
  readonly #key: Buffer
  readonly #iv: Buffer
  #ecb: crypto.Decipher | undefined

  constructor (encodingAESKey: string, appid: string) {
    this.#key = decodeAESKey(encodingAESKey)
    this.#iv = this.#key.subarray(0, 16)
    this.appid = appid
  }

  /** Decrypts a base64 `Encrypt` value and checks padding, length and appid. Throws `WechatCryptoError`. */
  decrypt (encrypt: string): DecryptedMessage {
    if (typeof encrypt !== 'string' || encrypt.length === 0 || encrypt.length % 4 !== 0 || !BASE64.test(encrypt)) {
      throw new WechatCryptoError('BAD_BASE64', 'Encrypt is not valid base64')
    }
    const cipherText = Buffer.from(encrypt, 'base64')
    if (cipherText.length === 0 || cipherText.length % PAD_BLOCK !== 0) {
      throw new WechatCryptoError('BAD_CIPHERTEXT', 'Encrypt does not hold a whole number of 32-byte blocks')
    }
    const plain = this.#decryptBlocks(cipherText)
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
      random: Buffer.from(plain.subarray(0, 16)),
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

  #decryptBlocks (cipherText: Buffer): Buffer {
    if (this.#ecb === undefined) {
      this.#ecb = crypto.createDecipheriv('aes-256-ecb', this.#key, null)
      this.#ecb.setAutoPadding(false)
    }
    const plain = this.#ecb.update(cipherText)
    if (plain.length !== cipherText.length) {
      this.#ecb = undefined
      throw new WechatCryptoError('BAD_CIPHERTEXT', 'block decryption returned a partial result')
    }
    const iv = this.#iv
    for (let i = 0; i < 16; i++) plain[i] = plain[i]! ^ iv[i]!
    for (let i = 16; i < plain.length; i++) plain[i] = plain[i]! ^ cipherText[i - 16]!
    return plain
  }
}
