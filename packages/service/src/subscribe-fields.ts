/**
 * The kinds of a subscribe-message template's fields and what WeChat accepts as each one's value (订阅消息参数值内容
 * 限制说明, https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html).
 * A field's key is its kind followed by a number (`thing1`, `character_string12`). WeChat refuses any other value with
 * 47003 ("argument invalid! data.thing1.value invalid"), so kefu checks them before calling it, and the fake WeChat
 * checks them the same way.
 */
export const SUBSCRIBE_FIELD_KINDS = [
  'thing', 'number', 'letter', 'symbol', 'character_string', 'time', 'date', 'amount', 'phone_number', 'car_number',
  'name', 'phrase', 'enum'
] as const

export type SubscribeFieldKind = typeof SUBSCRIBE_FIELD_KINDS[number]

/** What is wrong with a value, in both languages. */
export interface FieldProblem { zh: string, en: string }

const KEY = /^([a-z]+(?:_[a-z]+)*?)(\d+)$/

/** The kind of a field key (`thing1` → `thing`), or undefined when it is not one of WeChat's. */
export function subscribeFieldKind (key: string): SubscribeFieldKind | undefined {
  const m = KEY.exec(key)
  if (m === null) return undefined
  return (SUBSCRIBE_FIELD_KINDS as readonly string[]).includes(m[1]!) ? m[1] as SubscribeFieldKind : undefined
}

const HAN = /^\p{Script=Han}$/u
const LETTER = /^[A-Za-z]$/
const ALNUM = /^[A-Za-z0-9]$/
const SYMBOL = /^[\p{P}\p{S}]$/u
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u
const DATE = String.raw`(\d{4})(?:年(\d{1,2})月(\d{1,2})日|-(\d{1,2})-(\d{1,2})|/(\d{1,2})/(\d{1,2}))`
const CLOCK = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`
const TIME_POINT = new RegExp(`^(?:${DATE}\\s*)?${CLOCK}$`)
const DATE_POINT = new RegExp(`^${DATE}(?:\\s*${CLOCK})?$`)
const DATE_ONLY = new RegExp(DATE, 'g')

function problem (zh: string, en: string): FieldProblem {
  return { zh, en }
}

/** Months 1–12 and days 1–31 in every date the value carries. */
function datesValid (value: string): boolean {
  for (const m of value.matchAll(DATE_ONLY)) {
    const month = Number(m[2] ?? m[4] ?? m[6])
    const day = Number(m[3] ?? m[5] ?? m[7])
    if (month < 1 || month > 12 || day < 1 || day > 31) return false
  }
  return true
}

/** A point, or two points joined by `~` (a period), each one matching `point`. */
function pointOrPeriod (value: string, point: RegExp): boolean {
  const parts = value.split('~').map((p) => p.trim())
  return parts.length <= 2 && parts.every((p) => point.test(p)) && datesValid(value)
}

const RULES: Record<Exclude<SubscribeFieldKind, 'enum'>, { test: (chars: string[], value: string) => boolean, zh: string, en: string }> = {
  thing: { test: (c) => c.length <= 20, zh: '最多 20 个字符（汉字、数字、字母或符号）', en: 'at most 20 characters (Chinese, letters, digits or symbols)' },
  number: { test: (c, v) => c.length <= 32 && /^\d+(\.\d+)?$/.test(v), zh: '只能是数字（可带小数），最多 32 位', en: 'digits only (a decimal point allowed), at most 32' },
  letter: { test: (c, v) => c.length <= 32 && /^[A-Za-z]+$/.test(v), zh: '只能是字母，最多 32 个', en: 'letters only, at most 32' },
  symbol: { test: (c) => c.length <= 5 && c.every((x) => SYMBOL.test(x)), zh: '只能是符号，最多 5 个', en: 'symbols only, at most 5' },
  character_string: { test: (c, v) => c.length <= 32 && /^[\x21-\x7e]+$/.test(v), zh: '只能是数字、字母或符号，最多 32 个', en: 'digits, letters or symbols only (no spaces), at most 32' },
  time: { test: (_c, v) => pointOrPeriod(v, TIME_POINT), zh: '须为 24 小时制时间，可带年月日，时间段用 ~ 连接（如 15:01 或 2019年10月1日 15:01）', en: 'a 24-hour time, optionally with a date, a period joined by ~ (15:01, or 2019年10月1日 15:01)' },
  date: { test: (_c, v) => pointOrPeriod(v, DATE_POINT), zh: '须为年月日，可带 24 小时制时间，时间段用 ~ 连接（如 2019年10月1日 或 2019-10-01 15:01）', en: 'a date, optionally with a 24-hour time, a period joined by ~ (2019年10月1日, or 2019-10-01 15:01)' },
  amount: { test: (_c, v) => /^\p{Sc}?\d{1,10}(\.\d{1,2})?元?$/u.test(v), zh: '须为 1 个币种符号加 10 位以内数字，可带小数，结尾可带“元”（如 ¥12.50）', en: 'an optional currency sign and up to 10 digits, optionally with cents and a trailing 元 (¥12.50)' },
  phone_number: { test: (c, v) => c.length <= 17 && /^[0-9+\-()#*]+$/.test(v) && /\d/.test(v), zh: '须为 17 位以内的数字和符号（如 +86-0766-66888866）', en: 'up to 17 digits and symbols (+86-0766-66888866)' },
  car_number: {
    test: (c) => c.length <= 8 && c.every((x, i) => ALNUM.test(x) || ((i === 0 || i === c.length - 1) && HAN.test(x))),
    zh: '须为 8 位以内的车牌：首尾可为汉字，其余为字母或数字（如 粤A8Z888挂）',
    en: 'a plate of up to 8 characters: Chinese only first and last, letters or digits between (粤A8Z888挂)'
  },
  name: {
    test: (c) => c.some((x) => HAN.test(x))
      ? c.length <= 10 && c.every((x) => HAN.test(x) || LETTER.test(x) || x === '·')
      : c.length <= 20 && c.every((x) => LETTER.test(x) || x === ' ' || (SYMBOL.test(x))),
    zh: '须为 10 个以内汉字，或 20 个以内字母或符号（不含数字）',
    en: 'up to 10 Chinese characters, or up to 20 letters or symbols (no digits)'
  },
  phrase: { test: (c) => c.length <= 5 && c.every((x) => HAN.test(x)), zh: '只能是汉字，最多 5 个（如 配送中）', en: 'Chinese characters only, at most 5 (配送中)' }
}

/** What a field of `kind` takes, in both languages (the words a refusal uses). */
export function subscribeFieldRule (kind: SubscribeFieldKind, choices: readonly string[] = []): FieldProblem {
  if (kind === 'enum') return problem(`只能是以下之一：${choices.join('、')}`, `must be one of: ${choices.join(', ')}`)
  return problem(RULES[kind].zh, RULES[kind].en)
}

/**
 * What is wrong with `value` as a field of `kind`, or null when WeChat accepts it. `choices` are an `enum` field's
 * values (WeChat accepts only those).
 */
export function subscribeValueProblem (kind: SubscribeFieldKind, value: string, choices: readonly string[] = []): FieldProblem | null {
  if (value.trim() === '') return problem('不能为空', 'must not be empty')
  if (CONTROL.test(value)) return problem('不能含换行或控制字符', 'must not contain line breaks or control characters')
  if (kind === 'enum') return choices.includes(value) ? null : subscribeFieldRule(kind, choices)
  return RULES[kind].test([...value], value) ? null : subscribeFieldRule(kind)
}
