export {
  MiniProgramRegistry, ReadOnlyMiniProgram, MINI_PROGRAMS_CHANNEL, CONFIGURATION, secretContext,
  type MiniProgram, type MiniProgramEntry, type MiniProgramInput, type MiniProgramOptions, type MiniProgramRegistryOptions, type MiniProgramSource, type MessageFormat, type RegistryLog
} from './registry.js'
export { PROCESS_SECRET_KEY } from './process-key.js'
export { resealSecrets, type ResealResult } from './rotate.js'
export {
  parseWechatComponent, readWechatComponent, readComponentAuthorizeUrl, componentPushCrypto, DEFAULT_COMPONENT_AUTHORIZE_URL,
  type WechatComponentConfig
} from './component-config.js'
export {
  ComponentStore, WECHAT, VERIFY_TICKET_LIFETIME_MS, ticketContext, refreshTokenContext,
  type Authorization, type ComponentStoreOptions
} from './component-store.js'
export { miniProgramsPlugin, type MiniProgramsPluginOptions } from './plugin.js'
export { wechatApiPerApp, componentApi, type ProgramLookup } from './wechat-clients.js'
