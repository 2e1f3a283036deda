import { parsePushBody, WechatCryptoError, type PushFields } from '@kefu/wechat-crypto'
import { BadBody } from './errors.js'

/** The outer XML of a push of the third-party platform (always XML): 400 for an empty or malformed body. */
export function platformXmlBody (body: string | undefined): PushFields {
  if (body === undefined || body.trim() === '') throw new BadBody('body is empty')
  try {
    return parsePushBody(body, 'xml')
  } catch (err) {
    throw new BadBody(`body is not valid XML: ${err instanceof WechatCryptoError ? err.message : 'unexpected error'}`)
  }
}
