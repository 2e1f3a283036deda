import { WechatCryptoError } from './errors.js'
import type { PushFieldObject } from './json.js'

export type XmlValue = string | XmlObject | XmlValue[]
export interface XmlObject { [name: string]: XmlValue }

const MAX_DEPTH = 32
const NAME = /[A-Za-z_][\w.-]*/y
const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/y
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function fail (message: string): never {
  throw new WechatCryptoError('BAD_XML', message)
}

/**
 * A strict parser for WeChat's push XML: one root element, elements, text and CDATA, the five predefined entities and
 * character references. DOCTYPE, entity declarations and processing instructions are refused, so no entity expansion
 * (billion laughs) or external entity (XXE) can happen. Leaf elements become strings; elements with children become
 * objects (repeated names become arrays). Numbers stay strings, exactly as written.
 */
export function parseXml (text: string): { name: string, value: XmlValue } {
  let pos = 0
  const n = text.length
  if (text.charCodeAt(0) === 0xfeff) pos = 1

  function skipSpace (): void {
    while (pos < n) {
      const c = text.charCodeAt(pos)
      if (c === 32 || c === 9 || c === 10 || c === 13) pos++
      else break
    }
  }

  function skipMisc (): void {
    for (;;) {
      skipSpace()
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4)
        if (end < 0) fail('unterminated comment')
        pos = end + 3
      } else if (text.startsWith('<!', pos)) {
        fail('DOCTYPE and declarations are not allowed')
      } else if (text.startsWith('<?', pos)) {
        fail('processing instructions are not allowed')
      } else return
    }
  }

  function readName (): string {
    NAME.lastIndex = pos
    const m = NAME.exec(text)
    if (m === null) fail(`expected a tag name at ${pos}`)
    pos += m[0].length
    return m[0]
  }

  function decodeText (raw: string): string {
    if (raw.indexOf('&') < 0) return raw
    let out = ''
    let i = 0
    for (;;) {
      const amp = raw.indexOf('&', i)
      if (amp < 0) return out + raw.slice(i)
      out += raw.slice(i, amp)
      ENTITY.lastIndex = amp
      const m = ENTITY.exec(raw)
      if (m === null) fail('unknown or malformed entity reference')
      const ref = m[1]!
      if (ref.charCodeAt(0) === 35) {
        const code = ref.charCodeAt(1) === 120 ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
        if (code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff)) fail('invalid character reference')
        out += String.fromCodePoint(code)
      } else {
        out += PREDEFINED[ref]
      }
      i = amp + m[0].length
    }
  }

  function skipAttributes (): boolean {
    // returns true when the tag self-closes
    for (;;) {
      skipSpace()
      const c = text.charCodeAt(pos)
      if (c === 62) { pos++; return false }
      if (c === 47 && text.charCodeAt(pos + 1) === 62) { pos += 2; return true }
      readName()
      skipSpace()
      if (text.charCodeAt(pos) !== 61) fail('expected = in attribute')
      pos++
      skipSpace()
      const quote = text.charCodeAt(pos)
      if (quote !== 34 && quote !== 39) fail('expected a quoted attribute value')
      const end = text.indexOf(String.fromCharCode(quote), pos + 1)
      if (end < 0) fail('unterminated attribute value')
      const value = text.slice(pos + 1, end)
      if (value.indexOf('<') >= 0) fail('< in attribute value')
      decodeText(value)
      pos = end + 1
    }
  }

  function readElement (depth: number): { name: string, value: XmlValue } {
    if (depth > MAX_DEPTH) fail('elements nested too deeply')
    if (text.charCodeAt(pos) !== 60) fail(`expected < at ${pos}`)
    pos++
    const name = readName()
    if (skipAttributes()) return { name, value: '' }
    let textValue = ''
    let children: XmlObject | undefined
    for (;;) {
      if (pos >= n) fail(`unterminated element <${name}>`)
      const lt = text.indexOf('<', pos)
      if (lt < 0) fail(`unterminated element <${name}>`)
      if (lt > pos) {
        const raw = text.slice(pos, lt)
        if (raw.includes(']]>')) fail(']]> outside CDATA')
        textValue += decodeText(raw)
        pos = lt
      }
      if (text.startsWith('<![CDATA[', pos)) {
        const end = text.indexOf(']]>', pos + 9)
        if (end < 0) fail('unterminated CDATA section')
        textValue += text.slice(pos + 9, end)
        pos = end + 3
      } else if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4)
        if (end < 0) fail('unterminated comment')
        pos = end + 3
      } else if (text.startsWith('</', pos)) {
        pos += 2
        const closing = readName()
        if (closing !== name) fail(`</${closing}> does not close <${name}>`)
        skipSpace()
        if (text.charCodeAt(pos) !== 62) fail(`expected > after </${closing}`)
        pos++
        if (children === undefined) return { name, value: textValue }
        if (textValue.trim() !== '') fail(`<${name}> mixes text and elements`)
        return { name, value: children }
      } else if (text.startsWith('<!', pos)) {
        fail('DOCTYPE and declarations are not allowed')
      } else if (text.startsWith('<?', pos)) {
        fail('processing instructions are not allowed')
      } else {
        const child = readElement(depth + 1)
        children ??= Object.create(null) as XmlObject
        const existing = children[child.name]
        if (existing === undefined) children[child.name] = child.value
        else if (Array.isArray(existing)) existing.push(child.value) // arrays only ever come from repeated names
        else children[child.name] = [existing, child.value]
      }
    }
  }

  if (text.startsWith('<?xml', pos)) {
    const end = text.indexOf('?>', pos)
    if (end < 0) fail('unterminated XML declaration')
    pos = end + 2
  }
  skipMisc()
  if (pos >= n) fail('empty document')
  const root = readElement(0)
  skipMisc()
  if (pos < n) fail('content after the root element')
  return root
}

function cdata (value: string): string {
  return '<![CDATA[' + value.split(']]>').join(']]]]><![CDATA[>') + ']]>'
}

function elements (fields: PushFieldObject): string {
  let out = ''
  for (const [key, value] of Object.entries(fields)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      out += `<${key}>${typeof one === 'string' ? cdata(one) : typeof one === 'object' ? elements(one) : one.toString()}</${key}>`
    }
  }
  return out
}

/**
 * Serializes a push's fields the way WeChat writes push XML: strings in CDATA, numbers bare, inside `<xml>`. Flat but
 * for the nested `List` of subscribe events: an object becomes child elements, an array repeated elements.
 */
export function stringifyFlatXml (fields: PushFieldObject): string {
  return '<xml>' + elements(fields) + '</xml>'
}
