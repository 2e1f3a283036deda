// The agent's mentions: a header menu with the unread count (read from the API, so it survives a reload) and the
// newest mentions, each opening its conversation and read when opened; a polite toast when one arrives live (and a
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
export const menu = el('details', { class: 'menu', id: 'mentions-menu' },
  el('summary', { id: 'mentions-summary' }, T.mentions.title, ' ', count, countText),
  el('div', { class: 'menu-body' }, list))
/** Where arriving mentions are told, politely (it stays in the page, so screen readers hear what is put in it). */
export const toasts = el('div', { class: 'toasts', id: 'mention-toasts', role: 'status', 'aria-live': 'polite' })

const who = (m) => customerName({ appId: m.appId, openid: m.openid, displayName: m.customer })
const sentence = (m) => T.mentions.item(m.by, who(m))

function render () {
  count.textContent = String(unread)
  count.hidden = unread === 0
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
}

/** Opens a mention's conversation and marks it read. */
async function open (m) {
  menu.open = false
  emit('open', { appId: m.appId, openid: m.openid, person: true })
  if (m.readAt !== null) return
  const body = await api(`/api/mentions/${m.id}/read`, { method: 'POST', person: true })
  apply({ unread: body.unread, read: m.id })
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
  render()
}

function toast (m) {
  const node = el('div', { class: 'toast', 'data-id': m.id },
    el('span', { text: sentence(m) }),
    el('button', { type: 'button', text: T.mentions.open, onclick: () => { node.remove(); open(m).catch(() => {}) } }),
    el('button', { type: 'button', class: 'link-button', text: T.mentions.dismiss, onclick: () => node.remove() }))
  toasts.append(node)
  setTimeout(() => node.remove(), 15_000)
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
