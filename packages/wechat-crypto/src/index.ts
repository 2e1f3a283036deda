export { WechatCryptoError, type WechatCryptoErrorCode } from './errors.js'
export { sha1Signature, computeSignature, computeMsgSignature, verifySignature, verifyMsgSignature, safeEqualHex } from './signature.js'
export { MessageCipher, decodeAESKey, type DecryptedMessage } from './aes.js'
export { PushCrypto, type PushCryptoOptions, type EncryptedReply } from './push-crypto.js'
export { parseJsonLossless, stringifyFlat } from './json.js'
export { parseXml, stringifyFlatXml, type XmlValue, type XmlObject } from './xml.js'
export {
  detectFormat, parsePushBody, parseMessage, fieldString,
  type PushFormat, type PushFields, type CustomerMessage, type TextMessage, type ImageMessage,
  type MiniProgramPageMessage, type EnterSessionEvent, type OtherMessage
} from './message.js'
export {
  buildPush, messageFields,
  type BuildPushOptions, type BuiltPush, type PushMode, type PushFieldValue, type SimulatedType, type MessageFieldsOptions
} from './simulate.js'
