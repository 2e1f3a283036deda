// What WeChat accepts in its message-push settings (消息推送配置), checked field by field: each mistake is one line,
// in the reader's language, and a request with any mistake stores nothing.
// https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html

export type Lang = 'zh-CN' | 'en'

export const APPID = /^wx[0-9a-f]{16}$/
export const TOKEN = /^[A-Za-z0-9]{3,32}$/
export const AES_KEY = /^[A-Za-z0-9+/]{43}$/
export const APP_SECRET = /^[0-9a-f]{32}$/
export const ORIGINAL_ID = /^gh_[0-9a-f]{12}$/

interface Text {
  appid: string, token: string, encodingAESKey: string, secret: string, messageFormat: string, name: string, originalId: string
  unknown: (k: string) => string
  exists: (a: string) => string
}

const TEXT: Record<Lang, Text> = {
  'zh-CN': {
    appid: 'AppID 应为 wx 加 16 位十六进制字符（小写），例如 wx0123456789abcdef',
    token: 'Token 应为 3 到 32 位英文字母或数字',
    encodingAESKey: 'EncodingAESKey 应为 43 位，只含英文字母、数字、+ 和 /',
    secret: 'AppSecret 应为 32 位十六进制字符（小写）',
    messageFormat: '数据格式只能是 JSON 或 XML',
    name: '名称最多 64 个字符',
    originalId: '原始 ID 应为 gh_ 加 12 位十六进制字符',
    unknown: (k: string) => `不认识的字段「${k}」`,
    exists: (a: string) => `小程序 ${a} 已存在：请编辑它`
  },
  en: {
    appid: 'AppID must be wx followed by 16 lowercase hexadecimal characters, e.g. wx0123456789abcdef',
    token: 'Token must be 3 to 32 letters or digits',
    encodingAESKey: 'EncodingAESKey must be 43 characters: letters, digits, + and / only',
    secret: 'AppSecret must be 32 lowercase hexadecimal characters',
    messageFormat: 'Data format must be JSON or XML',
    name: 'Name must be at most 64 characters',
    originalId: 'Original ID must be gh_ followed by 12 hexadecimal characters',
    unknown: (k: string) => `unknown field "${k}"`,
    exists: (a: string) => `mini program ${a} exists already: edit it`
  }
}

export function text (lang: Lang): Text { return TEXT[lang] }

export interface MiniProgramForm {
  appid?: string
  name?: string
  originalId?: string
  token?: string
  encodingAESKey?: string
  secret?: string
  messageFormat?: string
}

const FIELDS = new Set(['appid', 'name', 'originalId', 'token', 'encodingAESKey', 'secret', 'messageFormat'])

/**
 * Every mistake of a form, one line each. `required` names the fields that must be there (adding: appid and token;
 * editing: none, an absent secret keeps the stored one). An empty string counts as absent for optional fields.
 */
export function formProblems (form: Record<string, unknown>, lang: Lang, required: ReadonlyArray<keyof MiniProgramForm>): string[] {
  const m = TEXT[lang]
  const problems: string[] = []
  for (const key of Object.keys(form)) if (!FIELDS.has(key)) problems.push(m.unknown(key))
  const check = (key: keyof MiniProgramForm, ok: (v: string) => boolean): void => {
    const value = form[key]
    if (value === undefined || value === '') {
      if (required.includes(key)) problems.push(m[key])
      return
    }
    if (typeof value !== 'string' || !ok(value)) problems.push(m[key])
  }
  check('appid', (v) => APPID.test(v))
  check('token', (v) => TOKEN.test(v))
  check('encodingAESKey', (v) => AES_KEY.test(v))
  check('secret', (v) => APP_SECRET.test(v))
  check('messageFormat', (v) => v === 'json' || v === 'xml')
  check('name', (v) => v.length <= 64)
  check('originalId', (v) => ORIGINAL_ID.test(v))
  return problems
}

/** The last four characters, the only part of a stored secret any answer shows; nothing of a short one. */
export function lastFour (secret: string | undefined): string | null {
  if (secret === undefined) return null
  return secret.length >= 12 ? '…' + secret.slice(-4) : '…'
}
