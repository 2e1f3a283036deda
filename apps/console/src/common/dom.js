// Small helpers every module uses: building elements, formatting times and ids, previews of messages.
import { T, lang } from './i18n.js'
import { describeSubscribe } from './subscribe-text.js'

export function el (tag, attrs, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else if (k === 'text') node.textContent = v
    else node.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c)
  return node
}

export const fmtTime = (ms) => new Date(ms).toLocaleString(lang, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
export const fmtDate = (ms) => new Date(ms).toLocaleString(lang, { year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
export const shortId = (openid) => openid.length > 14 ? openid.slice(0, 6) + '…' + openid.slice(-6) : openid
export const convKey = (appId, openid) => appId + '/' + openid
export const convPath = (appId, openid, action) => `/api/conversations/${appId}/${encodeURIComponent(openid)}${action ? '/' + action : ''}`

export function preview (item) {
  if (item === null || item === undefined) return ''
  const subscribe = describeSubscribe(item)
  if (subscribe !== null) return subscribe
  switch (item.type) {
    case 'text': return item.text || ''
    case 'image': return T.image
    case 'miniprogrampage': return T.card + ' ' + (item.title || '')
    case 'link': return T.link + ' ' + (item.title || '')
    case 'event': return item.event === 'user_enter_tempsession' ? (item.sessionFrom ? T.entered + item.sessionFrom : T.enteredNoSource) : T.event + item.event
    default: return item.text || T.other + item.type
  }
}

/** Whether a snooze is in force now. */
export const isSnoozed = (conv) => conv.snoozedUntil !== null && conv.snoozedUntil !== undefined && conv.snoozedUntil > Date.now()

/**
 * Where an action's outcome is told: a success politely and in the success style (role=status), a failure as an
 * alert in the error style (role=alert). `node` goes in the page; `ok(text)`, `error(text)`, `clear()`.
 */
export function outcome (attrs) {
  const done = el('span', { class: 'outcome-ok', role: 'status' })
  const failed = el('span', { class: 'outcome-error', role: 'alert' })
  const node = el('span', { class: 'outcome', ...attrs }, done, failed)
  const show = (good, text) => { done.textContent = good ? text : ''; failed.textContent = good ? '' : text }
  return { node, ok: (text) => show(true, text), error: (text) => show(false, text), clear: () => show(true, '') }
}
