export { WechatCryptoError, type WechatCryptoErrorCode } from './errors.js'
export { sha1Signature, computeSignature, computeMsgSignature, verifySignature, verifyMsgSignature, safeEqualHex } from './signature.js'
export { MessageCipher, decodeAESKey, type DecryptedMessage } from './aes.js'
export { PushCrypto, type PushCryptoOptions, type EncryptedReply } from './push-crypto.js'
export { parseJsonLossless, stringifyFlat, type PushFieldValue, type PushFieldObject } from './json.js'
export { parseXml, stringifyFlatXml, type XmlValue, type XmlObject } from './xml.js'
export {
  detectFormat, parsePushBody, parseMessage, fieldString,
  type PushFormat, type PushFields, type CustomerMessage, type TextMessage, type ImageMessage,
  type MiniProgramPageMessage, type EnterSessionEvent, type SubscribePopupEvent, type SubscribeChangeEvent,
  type SubscribeSentEvent, type OtherMessage
} from './message.js'
export {
  SUBSCRIBE_EVENTS, isSubscribeEvent, parseSubscribeDecisions, parseSubscribeDeliveries,
  type SubscribeEventName, type SubscribeDecision, type SubscribeDelivery
} from './subscribe.js'
export {
  buildPush, messageFields,
  type BuildPushOptions, type BuiltPush, type PushMode, type SimulatedType,
  type SimulatedSubscribeItem, type MessageFieldsOptions
} from './simulate.js'
