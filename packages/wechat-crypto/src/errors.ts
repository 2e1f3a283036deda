export type WechatCryptoErrorCode =
  | 'BAD_AES_KEY'
  | 'BAD_BASE64'
  | 'BAD_CIPHERTEXT'
  | 'BAD_PADDING'
  | 'BAD_LENGTH'
  | 'APPID_MISMATCH'
  | 'BAD_JSON'
  | 'BAD_XML'
  | 'BAD_MESSAGE'
  | 'BAD_SIGNATURE'

/** Every failure of this package: `code` says which check refused the input. */
export class WechatCryptoError extends Error {
  readonly code: WechatCryptoErrorCode
  constructor (code: WechatCryptoErrorCode, message: string) {
    super(message)
    this.name = 'WechatCryptoError'
    this.code = code
  }
}
