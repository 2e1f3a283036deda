import crypto from 'node:crypto'
import { MessageCipher, type DecryptedMessage } from './aes.js'
import { WechatCryptoError } from './errors.js'
import { computeMsgSignature, verifyMsgSignature, verifySignature } from './signature.js'

export interface PushCryptoOptions {
  appid: string
  token: string
  /** 43 characters; omit for plaintext mode. */
  encodingAESKey?: string
  /** The key being rotated out: pushes still encrypted with it keep decrypting. */
  previousEncodingAESKey?: string
}

export interface EncryptedReply { Encrypt: string, MsgSignature: string, TimeStamp: string, Nonce: string }

/**
 * One mini program's push crypto, the counterpart of Tencent's WXBizMsgCrypt: URL verification, signature checks,
 * decryption with the current key and, during rotation, the previous one; and encrypted replies.
 */
export class PushCrypto {
  readonly appid: string
  readonly #token: string
  readonly #ciphers: MessageCipher[]

  constructor (options: PushCryptoOptions) {
    this.appid = options.appid
    this.#token = options.token
    this.#ciphers = []
    if (options.encodingAESKey !== undefined) this.#ciphers.push(new MessageCipher(options.encodingAESKey, options.appid))
    if (options.previousEncodingAESKey !== undefined) {
      if (options.encodingAESKey === undefined) throw new WechatCryptoError('BAD_AES_KEY', 'previousEncodingAESKey needs encodingAESKey')
      this.#ciphers.push(new MessageCipher(options.previousEncodingAESKey, options.appid))
    }
  }

  /** True when a key is configured: then only encrypted pushes are acceptable. */
  get encrypted (): boolean { return this.#ciphers.length > 0 }

  verifySignature (timestamp: string, nonce: string, signature: unknown): boolean {
    return verifySignature(this.#token, timestamp, nonce, signature)
  }

  verifyMsgSignature (timestamp: string, nonce: string, encrypt: string, msgSignature: unknown): boolean {
    return verifyMsgSignature(this.#token, timestamp, nonce, encrypt, msgSignature)
  }

  /** Decrypts with the current key, then the previous one; the error of the current key wins when both fail. */
  decrypt (encrypt: string): DecryptedMessage {
    const [current, previous] = this.#ciphers
    if (current === undefined) throw new WechatCryptoError('BAD_AES_KEY', 'no EncodingAESKey configured')
    try {
      return current.decrypt(encrypt)
    } catch (err) {
      if (previous === undefined || (err as WechatCryptoError).code === 'BAD_BASE64') throw err
      try {
        return previous.decrypt(encrypt)
      } catch {
        throw err
      }
    }
  }

  /** Verifies msg_signature, then decrypts: the order WeChat's docs prescribe. */
  decryptPush (timestamp: string, nonce: string, encrypt: string, msgSignature: unknown): DecryptedMessage {
    if (!this.verifyMsgSignature(timestamp, nonce, encrypt, msgSignature)) {
      throw new WechatCryptoError('BAD_SIGNATURE', 'msg_signature does not match')
    }
    return this.decrypt(encrypt)
  }

  encrypt (message: string, random?: Buffer | string): string {
    const current = this.#ciphers[0]
    if (current === undefined) throw new WechatCryptoError('BAD_AES_KEY', 'no EncodingAESKey configured')
    return current.encrypt(message, random)
  }

  /** An encrypted passive reply or push: Encrypt plus its MsgSignature over (token, TimeStamp, Nonce, Encrypt). */
  encryptReply (message: string, timestamp: string = Math.floor(Date.now() / 1000).toString(), nonce: string = crypto.randomInt(1e9).toString(), random?: Buffer | string): EncryptedReply {
    const encrypt = this.encrypt(message, random)
    return { Encrypt: encrypt, MsgSignature: computeMsgSignature(this.#token, timestamp, nonce, encrypt), TimeStamp: timestamp, Nonce: nonce }
  }
}
