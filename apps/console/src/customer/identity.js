// Who a customer is, as agents read it: the display name agents gave them, else the nickname the business's profile
// lookup told (remembered for this page), else their openid; and their avatar: the profile's picture, else initials
// on a color of their own (agents get initials too).
import { convKey, el, shortId } from '../common/dom.js'
import { emit } from '../common/state.js'

/** appId/openid → the name the profile lookup gave. */
const profileNames = new Map()
/** appId/openid → the picture the profile lookup gave. */
const pictures = new Map()

/** Remembers the nickname and picture the profile lookup gave (the defaults); tells the page when they are new. */
export function rememberProfile (appId, openid, { name, avatar }) {
  const key = convKey(appId, openid)
  if ((!name || profileNames.get(key) === name) && (!avatar || pictures.get(key) === avatar)) return
  if (name) profileNames.set(key, name)
  if (avatar) pictures.set(key, avatar)
  emit('customer-named', { appId, openid })
}

/** Eight colors white text reads on at WCAG AA (4.5:1), the same in the light and the dark theme (console.css). */
const COLORS = 8
function colorOf (id) {
  let h = 0
  for (const ch of id) h = (Math.imul(h, 31) + ch.codePointAt(0)) >>> 0
  return h % COLORS
}

/** One or two letters of a name: a Chinese name's first character, a Latin one's initials. */
export function initials (name) {
  const words = name.replace(/^o[_-]?/, '').split(/[\s·._-]+/).filter((w) => w !== '')
  if (words.length === 0) return '?'
  const first = [...words[0]][0]
  if (/[\u3400-\u9fff]/.test(first)) return first
  return (words.length > 1 ? first + [...words[1]][0] : [...words[0]].slice(0, 2).join('')).toUpperCase()
}

/** Initials on the color of `id`: decorative, as the name is written beside it. */
export function initialsAvatar (name, id, extra = '') {
  return el('span', { class: `avatar c${colorOf(id)} ${extra}`.trim(), 'aria-hidden': 'true', text: initials(name) })
}

/** A customer's avatar: the profile's picture (lazy, no referrer, alt="" as the name is beside it), else initials. */
export function customerAvatar (c) {
  const name = customerName(c)
  const picture = pictures.get(convKey(c.appId, c.openid))
  if (!picture) return initialsAvatar(name, c.openid)
  const img = el('img', { class: 'avatar', src: picture, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer', width: '32', height: '32' })
  img.addEventListener('error', () => { img.replaceWith(initialsAvatar(name, c.openid)) }, { once: true })
  return img
}

/** The customer's name if anyone gave one (agents, else the profile lookup), or ''. */
export function knownName (c) {
  return c.displayName || profileNames.get(convKey(c.appId, c.openid)) || ''
}

/** The name to show for a conversation's customer (`full`: the whole openid when there is no name). */
export function customerName (c, full = false) {
  return knownName(c) || (full ? c.openid : shortId(c.openid))
}
