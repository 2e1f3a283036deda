import { ConfigError } from './config.js'
import { SUBSCRIBE_FIELD_KINDS, subscribeFieldKind, type SubscribeFieldKind } from './subscribe-fields.js'

/** One field of a template, as WeChat's template page lists it (`thing1` 商品名称). */
export interface SubscribeTemplateField {
  /** WeChat's key: the kind and a number, `thing1`. */
  key: string
  kind: SubscribeFieldKind
  /** What agents see next to the input (the template's own name for the field); defaults to the key. */
  label: string
  /** The values an `enum` field takes (WeChat accepts only those). */
  values?: string[]
}

/** A subscribe-message template of a mini program (订阅消息模板), as kefu offers it to agents. */
export interface SubscribeTemplate {
  /** The template id from the mini program's admin console (订阅消息 → 我的模板). */
  templateId: string
  /** Its title there, shown to agents. */
  title: string
  fields: SubscribeTemplateField[]
  /** The mini program page a tap opens (`pages/order/detail`), without query: agents add one per message. None: no jump. */
  page?: string
  /** A long-term subscription (长期订阅): an accept lasts until the customer turns it off, and sends never use it up. */
  longTerm: boolean
  /** Which version of the mini program the page opens in (default formal). */
  miniprogramState?: 'developer' | 'trial' | 'formal'
  /** The language of "进入小程序查看" (default zh_CN). */
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW'
}

const TEMPLATE_KEYS = new Set(['templateId', 'title', 'fields', 'page', 'longTerm', 'miniprogramState', 'lang'])
const FIELD_KEYS = new Set(['key', 'label', 'values'])
const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,128}$/
const PAGE = /^\/?[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_.-]+)*$/
const STATES = ['developer', 'trial', 'formal'] as const
const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function shortString (value: unknown, at: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) throw new ConfigError(`${at} must be a non-empty string of at most ${max} characters`)
  return value
}

function parseField (value: unknown, at: string): SubscribeTemplateField {
  const entry = typeof value === 'string' ? { key: value } : value
  if (!isObject(entry)) throw new ConfigError(`${at} must be a field key ("thing1") or {"key","label"}`)
  for (const key of Object.keys(entry)) if (!FIELD_KEYS.has(key)) throw new ConfigError(`${at} has an unknown field "${key}"`)
  if (typeof entry.key !== 'string') throw new ConfigError(`${at}.key must be a string like "thing1"`)
  const kind = subscribeFieldKind(entry.key)
  if (kind === undefined) {
    throw new ConfigError(`${at}.key "${entry.key}" is not a WeChat field key: a kind (${SUBSCRIBE_FIELD_KINDS.join(', ')}) followed by a number`)
  }
  const field: SubscribeTemplateField = { key: entry.key, kind, label: entry.label === undefined ? entry.key : shortString(entry.label, `${at}.label`, 32) }
  if (kind === 'enum') {
    const values = entry.values
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '' && v.length <= 64)) {
      throw new ConfigError(`${at}.values must list the values of enum field ${entry.key} (non-empty strings)`)
    }
    field.values = [...new Set(values as string[])]
  } else if (entry.values !== undefined) {
    throw new ConfigError(`${at}.values is only for enum fields, not ${kind}`)
  }
  return field
}

function parseTemplate (value: unknown, at: string): SubscribeTemplate {
  if (!isObject(value)) throw new ConfigError(`${at} must be an object`)
  for (const key of Object.keys(value)) if (!TEMPLATE_KEYS.has(key)) throw new ConfigError(`${at} has an unknown field "${key}"`)
  if (typeof value.templateId !== 'string' || !TEMPLATE_ID.test(value.templateId)) throw new ConfigError(`${at}.templateId must be a template id (letters, digits, _ and -)`)
  const title = shortString(value.title, `${at}.title`, 64)
  if (!Array.isArray(value.fields) || value.fields.length === 0 || value.fields.length > 20) throw new ConfigError(`${at}.fields must list 1 to 20 fields`)
  const fields = value.fields.map((f, i) => parseField(f, `${at}.fields[${i}]`))
  const keys = new Set<string>()
  for (const [i, f] of fields.entries()) {
    if (keys.has(f.key)) throw new ConfigError(`${at}.fields[${i}] repeats key ${f.key}`)
    keys.add(f.key)
  }
  const template: SubscribeTemplate = { templateId: value.templateId, title, fields, longTerm: false }
  if (value.page !== undefined) {
    if (typeof value.page !== 'string' || value.page.length > 256 || !PAGE.test(value.page)) {
      throw new ConfigError(`${at}.page must be a page path of the mini program without query, like "pages/order/detail"`)
    }
    template.page = value.page
  }
  if (value.longTerm !== undefined) {
    if (typeof value.longTerm !== 'boolean') throw new ConfigError(`${at}.longTerm must be true or false`)
    template.longTerm = value.longTerm
  }
  if (value.miniprogramState !== undefined) {
    if (!(STATES as readonly unknown[]).includes(value.miniprogramState)) throw new ConfigError(`${at}.miniprogramState must be one of ${STATES.join(', ')}`)
    template.miniprogramState = value.miniprogramState as SubscribeTemplate['miniprogramState']
  }
  if (value.lang !== undefined) {
    if (!(LANGS as readonly unknown[]).includes(value.lang)) throw new ConfigError(`${at}.lang must be one of ${LANGS.join(', ')}`)
    template.lang = value.lang as SubscribeTemplate['lang']
  }
  return template
}

/** Validates an app's `subscribeTemplates` (`at` names it in error messages). */
export function parseSubscribeTemplates (value: unknown, at: string): SubscribeTemplate[] {
  if (!Array.isArray(value) || value.length > 50) throw new ConfigError(`${at} must be an array of at most 50 templates`)
  const templates = value.map((v, i) => parseTemplate(v, `${at}[${i}]`))
  const seen = new Set<string>()
  for (const [i, tpl] of templates.entries()) {
    if (seen.has(tpl.templateId)) throw new ConfigError(`${at}[${i}].templateId ${tpl.templateId} is listed twice`)
    seen.add(tpl.templateId)
  }
  return templates
}
