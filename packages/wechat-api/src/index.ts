export { WechatApi, DEFAULT_WECHAT_API_BASE, TOKEN_REJECTED_ERRCODES, type WechatApiOptions, type WechatApp, type WechatApiLogger, type MediaFile, type TokenRefresh } from './client.js'
export { WechatApiError, explainErrcode, explainedErrcodes, type WechatApiErrorCode, type WechatApiErrorDetails, type ExplainLang } from './errors.js'
export {
  textMessage, imageMessage, linkMessage, miniProgramPageMessage, customSendBody, subscribeSendBody,
  type CustomMessage, type SubscribeMessageBody, type TextMessageBody, type ImageMessageBody, type LinkMessageBody, type MiniProgramPageMessageBody,
  type LinkCard, type MiniProgramPageCard
} from './messages.js'
export { createMemoryTokenStore, RenewalFlights, type TokenStore, type MemoryTokenStore, type CachedToken, type TokenPredicate, type TokenFetcher } from './token-store.js'
export { createRedisTokenStore, type RedisTokenStore, type RedisTokenStoreOptions } from './redis-token-store.js'
export { type ExternalTokens } from './client.js'
export {
  WechatComponentApi, COMPONENT_AUTHORIZE_URL, RELEASE_TEST_MINI_PROGRAMS, RELEASE_TEST_OFFICIAL_ACCOUNTS,
  type ComponentState, type WechatComponentOptions, type QueriedAuthorization, type AuthorizerInfo
} from './component.js'
