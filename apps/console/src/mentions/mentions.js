// The agent's mentions: a header menu with the unread count (read from the API, so it survives a reload) and the
// newest mentions, each opening its conversation and read when opened, and "Mark all read"; a polite toast when one arrives live (and a
// browser notification while the tab is hidden, if the agent allows them). Escape closes the menu (console.js).
import { api } from '../common/api.js'
import { convKey, el, fmtTime } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { emit, on, state } from '../common/state.js'
import { customerName } from '../customer/identity.js'
import { redraw } from '../conversations/timeline.js'

let mentions = []
let unread = 0

const count = el('span', { class: 'badge mention-count', id: 'mentions-badge', 'aria-hidden': 'true', hidden: true })
const countText = el('span', { class: 'visually-hidden', id: 'mentions-unread' })
const list = el('ul', { class: 'mention-list', id: 'mention-list', 'aria-label': T.mentions.title })
const readAll = el('button', { type: 'button', class: 'link-button', id: 'mentions-read-all', text: T.mentions.markAllRead, hidden: true, onclick: () => { markAllRead().catch(() => {}) } })
export const menu = el('details', { class: 'menu', id: 'mentions-menu' },
  el('summary', { id: 'mentions-summary' }, T.mentions.title, ' ', count, countText),
  el('div', { class: 'menu-body' }, list, readAll))
/** Where arriving mentions are told, politely (it stays in the page, so screen readers hear what is put in it). */
export const toasts = el('div', { class: 'toasts', id: 'mention-toasts', role: 'status', 'aria-live': 'polite' })

const who = (m) => customerName({ appId: m.appId, openid: m.openid, displayName: m.customer })
const sentence = (m) => T.mentions.item(m.by, who(m))

function render () {
  // A live change redraws the list: the mention that had focus keeps it.
  const focused = list.contains(document.activeElement) ? document.activeElement.closest('li')?.dataset.id : undefined
  count.textContent = String(unread)
  count.hidden = unread === 0
  readAll.hidden = unread === 0
  count.dataset.count = String(unread)
  countText.textContent = unread === 0 ? '' : T.mentions.unread(unread)
  list.replaceChildren(...(mentions.length === 0
    ? [el('li', { class: 'hint', text: T.empty.mentions })]
    : mentions.map((m) => el('li', { class: m.readAt === null ? 'mention mention-unread' : 'mention', 'data-id': m.id },
      el('a', { href: '/?c=' + encodeURIComponent(convKey(m.appId, m.openid)), onclick: (e) => { e.preventDefault(); open(m) } },
        m.readAt === null ? el('span', { class: 'visually-hidden', text: T.mentions.unreadItem }) : null,
        el('span', { class: 'mention-line', text: sentence(m) }),
        el('small', { text: fmtTime(m.at) }),
        el('span', { class: 'mention-excerpt', text: m.text }))))))
  if (focused !== undefined) list.querySelector(`li[data-id="${focused}"] a`)?.focus()
}

/** Opens a mention's conversation and marks it read. */
async function open (m) {
  menu.open = false
  emit('open', { appId: m.appId, openid: m.openid, person: true })
  if (m.readAt !== null) return
  const body = await api(`/api/mentions/${m.id}/read`, { method: 'POST', person: true })
  apply({ unread: body.unread, read: m.id })
}

/** Every unread mention read; focus stays in the menu (on its list) rather than on the button that goes away. */
async function markAllRead () {
  const body = await api('/api/mentions/read', { method: 'POST', person: true })
  apply({ unread: body.unread, readAll: true })
  list.querySelector('a')?.focus()
}

/** Opens the menu (the palette's "show mentions"), the focus on its newest mention. */
export function openMenu () {
  menu.open = true
  const first = list.querySelector('a')
  if (first !== null) first.focus()
  else menu.querySelector('summary').focus()
}

export async function load () {
  const body = await api('/api/mentions')
  mentions = body.mentions
  unread = body.unread
  render()
}

function apply (change) {
  unread = change.unread
  if (change.mention && !mentions.some((m) => m.id === change.mention.id)) mentions = [change.mention, ...mentions].slice(0, 50)
  if (change.read) mentions = mentions.map((m) => m.id === change.read && m.readAt === null ? { ...m, readAt: Date.now() } : m)
  if (change.readAll) mentions = mentions.map((m) => m.readAt === null ? { ...m, readAt: Date.now() } : m)
  render()
}

// A toast is no control's: leaving one (Escape, Dismiss) gives the focus back to where it was before the toasts.
let toastReturn = null
toasts.addEventListener('focusin', (e) => { if (!toasts.contains(e.relatedTarget)) toastReturn = e.relatedTarget })
function dismiss (node) {
  const inside = node.contains(document.activeElement)
  node.remove()
  if (!inside) return
  const back = toastReturn !== null && toastReturn.isConnected ? toastReturn : menu.querySelector('summary')
  toastReturn = null
  back.focus()
}
toasts.addEventListener('keydown', (e) => {
  const node = e.target.closest('.toast')
  if (e.key !== 'Escape' || node === null) return
  e.preventDefault()
  dismiss(node)
})
/** Escape with nothing else open: the toasts go (console.js); whether there were any. */
export function dismissToasts () {
  const any = toasts.children.length > 0
  for (const node of [...toasts.children]) dismiss(node)
  return any
}

function toast (m) {
  const node = el('div', { class: 'toast', 'data-id': m.id },
    el('span', { text: sentence(m) }),
    el('button', { type: 'button', text: T.mentions.open, onclick: () => { node.remove(); open(m).catch(() => {}) } }),
    el('button', { type: 'button', class: 'link-button', text: T.mentions.dismiss, onclick: () => dismiss(node) }))
  toasts.append(node)
  // Not while the agent is in it, reading.
  setTimeout(() => { if (!node.contains(document.activeElement)) node.remove() }, 15_000)
  if (!document.hidden || !state.me.notifications.desktop || !('Notification' in window) || Notification.permission !== 'granted') return
  const n = new Notification(sentence(m), { body: m.text, tag: 'mention-' + m.id, lang: document.documentElement.lang })
  n.onclick = () => { window.focus(); open(m).catch(() => {}); n.close() }
}

// Live: mentioned now (a toast), or one read in another tab of this agent.
on('mention', (change) => {
  apply(change)
  if (change.mention) toast(change.mention)
})
on('reconnected', () => { load().catch(() => {}) })
// Notes mark the colleagues they mention, which needs the colleagues: drawn again once they are known.
on('agents', () => redraw((item) => item.type === 'note'))
