import { WechatCryptoError } from './errors.js'

const LONG_DIGITS = /\d{16}/

/**
 * JSON.parse that keeps integers beyond 2^53 exact: they come back as decimal strings.
 * WeChat's MsgId is a 64-bit integer (e.g. 22876340532172986) and plain JSON.parse rounds it.
 */
export function parseJsonLossless (text: string): unknown {
  const source = LONG_DIGITS.test(text) ? quoteUnsafeIntegers(text) : text
  try {
    return JSON.parse(source)
  } catch {
    throw new WechatCryptoError('BAD_JSON', 'body is not valid JSON')
  }
}

function quoteUnsafeIntegers (text: string): string {
  let out = ''
  let last = 0
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 34) { // a string: skip to its closing quote
      i++
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d === 92) i += 2
        else if (d === 34) break
        else i++
      }
      i++
      continue
    }
    if (c === 45 || (c >= 48 && c <= 57)) { // a number token
      const start = i
      i++
      let integer = true
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d >= 48 && d <= 57) i++
        else if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) { integer = false; i++ } else break
      }
      if (integer) {
        const token = text.slice(start, i)
        const digits = token.charCodeAt(0) === 45 ? token.length - 1 : token.length
        if (digits >= 16 && !Number.isSafeInteger(Number(token)) && /^-?(0|[1-9]\d*)$/.test(token)) {
          out += text.slice(last, start) + '"' + token + '"'
          last = i
        }
      }
      continue
    }
    i++
  }
  return last === 0 ? text : out + text.slice(last)
}

/** A field's value as WeChat writes it: strings, numbers, bigints (bare 64-bit integers), and the List of events. */
export type PushFieldValue = string | number | bigint | PushFieldObject | PushFieldObject[]
export interface PushFieldObject { [name: string]: PushFieldValue }

function jsonValue (value: PushFieldValue): string {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return '[' + value.map(jsonValue).join(',') + ']'
  if (typeof value === 'object') return stringifyFlat(value)
  return JSON.stringify(value)
}

/**
 * Serializes a push's fields as JSON, writing bigint values as bare number literals (as WeChat writes MsgId). Flat but
 * for the nested `List` of subscribe events.
 */
export function stringifyFlat (fields: PushFieldObject): string {
  return '{' + Object.entries(fields).map(([key, value]) => JSON.stringify(key) + ':' + jsonValue(value)).join(',') + '}'
}
