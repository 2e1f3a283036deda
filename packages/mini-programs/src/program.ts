// A mini program as kefu holds it in memory, and the types the registry's parts share (registry.ts, table.ts,
// live-reload.ts), in a module of their own so that none of those parts imports another's types back.
import type { WechatAppConfig } from '@kefu/service'
import type { PushCrypto } from '@kefu/wechat-crypto'

/** component: authorized kefu's third-party platform (WECHAT_COMPONENT), served with the platform's token and key. */
export type MiniProgramSource = 'configuration' | 'console' | 'component'
export type MessageFormat = 'json' | 'xml'

/** One mini program as kefu uses it: WECHAT_APPS's fields (secrets opened) and the table's own. */
export interface MiniProgram extends WechatAppConfig {
  name?: string
  originalId?: string
  messageFormat: MessageFormat
  enabled: boolean
  source: MiniProgramSource
  /** head_img of WeChat's authorizer info (source component). */
  pictureUrl?: string
  changedBy?: string
  changedAt: Date
}

/** What a push needs: the mini program and its crypto, made once per change. */
export interface MiniProgramEntry {
  program: MiniProgram
  crypto: PushCrypto
}

export interface MiniProgramInput extends WechatAppConfig {
  name?: string
  originalId?: string
  messageFormat?: MessageFormat
  enabled?: boolean
}

/** What a mini program may do beyond receiving, editable for console and component rows alike. */
export type MiniProgramOptions = Pick<WechatAppConfig, 'transferCustomerService' | 'profileUrl' | 'profileSecret' | 'subscribeTemplates'>

export interface RegistryLog {
  warn: (obj: object, msg: string) => void
}
