import { ConfigError, readJsonSetting, refusePlaceholder, type Env } from './config.js'
import { isLoopbackHost } from './ip.js'
import { PushCrypto, WechatCryptoError } from '@kefu/wechat-crypto'
import { parseSubscribeTemplates, type SubscribeTemplate } from './subscribe-templates.js'

export interface WechatAppConfig {
  appid: string
  token: string
  /** 43 characters; without it the app is in plaintext mode. */
  encodingAESKey?: string
  previousEncodingAESKey?: string
  /** AppSecret, for the customer-service send API. */
  secret?: string
  /**
   * Answer user messages with transfer_customer_service, handing the conversation to WeChat's own web customer-service
   * tool instead of kefu's console (messages are still stored).
   */
  transferCustomerService?: boolean
  /**
   * The business's own backend, asked server to server for what it knows of a customer (name, orders…) when an agent
   * opens their panel in the console: a POST of `{"appid","openid","timestamp","nonce"}` signed with profileSecret.
   * `https://`; `http://` only to a loopback host (development, or a backend on the same machine).
   */
  profileUrl?: string
  /** The HMAC-SHA256 key of profile lookups, ≥ 32 characters, shared with that backend alone. */
  profileSecret?: string
  /** The subscribe-message templates agents may send once the reply window has closed. */
  subscribeTemplates?: SubscribeTemplate[]
}

const APPID = /^wx[0-9A-Za-z]{16}$/
const TOKEN = /^[0-9A-Za-z]{3,32}$/
const KEYS = new Set(['appid', 'token', 'encodingAESKey', 'previousEncodingAESKey', 'secret', 'transferCustomerService', 'profileUrl', 'profileSecret', 'subscribeTemplates'])
const STRING_KEYS = ['appid', 'token', 'encodingAESKey', 'previousEncodingAESKey', 'secret', 'profileUrl', 'profileSecret']
/** Shared with WeChat (or the business's backend) alone: a value published in .env.example is no secret. */
const SECRET_KEYS = ['token', 'encodingAESKey', 'previousEncodingAESKey', 'secret', 'profileSecret'] as const

/** Validates WECHAT_APPS (already JSON-parsed); `source` names the variable or file in error messages. */
export function parseWechatApps (value: unknown, source: string): WechatAppConfig[] {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(`${source} must be a non-empty JSON array of mini programs`)
  const seen = new Set<string>()
  return value.map((item: unknown, i) => {
    const at = `${source}[${i}]`
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(`${at} must be an object`)
    const entry = item as Record<string, unknown>
    for (const key of Object.keys(entry)) if (!KEYS.has(key)) throw new ConfigError(`${at} has an unknown field "${key}"`)
    for (const key of STRING_KEYS) {
      if (entry[key] !== undefined && typeof entry[key] !== 'string') throw new ConfigError(`${at}.${key} must be a string`)
    }
    if (entry.transferCustomerService !== undefined && typeof entry.transferCustomerService !== 'boolean') {
      throw new ConfigError(`${at}.transferCustomerService must be true or false`)
    }
    const app = { ...entry } as unknown as WechatAppConfig
    if (typeof app.appid !== 'string' || !APPID.test(app.appid)) throw new ConfigError(`${at}.appid must look like wx followed by 16 letters or digits`)
    if (seen.has(app.appid)) throw new ConfigError(`${at}.appid ${app.appid} is listed twice`)
    seen.add(app.appid)
    if (typeof app.token !== 'string' || !TOKEN.test(app.token)) throw new ConfigError(`${at}.token must be 3 to 32 letters or digits`)
    for (const key of SECRET_KEYS) if (app[key] !== undefined) refusePlaceholder(`${at}.${key}`, app[key])
    checkProfileLookup(app, at)
    if (entry.subscribeTemplates !== undefined) app.subscribeTemplates = parseSubscribeTemplates(entry.subscribeTemplates, `${at}.subscribeTemplates`)
    try {
      createPushCrypto(app)
    } catch (err) {
      if (err instanceof WechatCryptoError) throw new ConfigError(`${at}: ${err.message}`)
      throw err
    }
    return app
  })
}

function checkProfileLookup (app: WechatAppConfig, at: string): void {
  if (app.profileUrl === undefined) {
    if (app.profileSecret !== undefined) throw new ConfigError(`${at}.profileSecret is set but profileUrl is not`)
    return
  }
  let url: URL
  try {
    url = new URL(app.profileUrl)
  } catch {
    throw new ConfigError(`${at}.profileUrl must be an http:// or https:// URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${at}.profileUrl must be an http:// or https:// URL`)
  // The lookup carries customers' openids and the answer their details: in clear text only where no network is crossed.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(`${at}.profileUrl must be https:// (http:// only to a loopback host such as 127.0.0.1, for development), got ${url.origin}`)
  }
  if (url.username !== '' || url.password !== '') throw new ConfigError(`${at}.profileUrl must not carry a user name or password (sign with profileSecret)`)
  if (url.hash !== '' || app.profileUrl.includes('#')) throw new ConfigError(`${at}.profileUrl must not have a #fragment`)
  if (app.profileSecret === undefined) throw new ConfigError(`${at}.profileSecret is required with profileUrl (the HMAC key the lookup is signed with)`)
  if (app.profileSecret.length < 32) throw new ConfigError(`${at}.profileSecret must be at least 32 characters`)
}

export function createPushCrypto (app: WechatAppConfig): PushCrypto {
  return new PushCrypto({
    appid: app.appid,
    token: app.token,
    encodingAESKey: app.encodingAESKey,
    previousEncodingAESKey: app.previousEncodingAESKey
  })
}

/** WECHAT_APPS (inline JSON) or WECHAT_APPS_FILE (a JSON file with the same content), validated. */
export function readWechatApps (env: Env): WechatAppConfig[] {
  const setting = readJsonSetting(env, 'WECHAT_APPS', 'WECHAT_APPS_FILE')
  if (setting === undefined) throw new ConfigError('WECHAT_APPS (a JSON array of mini programs) or WECHAT_APPS_FILE is required')
  return parseWechatApps(setting.value, setting.source)
}
