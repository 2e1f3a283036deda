// kefu agent console: the page's layout and how its modules work together. Plain ES modules, no build step:
// list (views, filters), timeline, composer (replies, notes, quick replies), conversation bar (assignment, status,
// snooze), customer panel, live stream, notifications, presence and administration.
import { openAdmin } from '../team/admin.js'
import { api, whenSignedOut } from '../common/api.js'
import * as bar from '../conversations/conversation-bar.js'
import * as composer from '../conversations/composer.js'
import * as customer from '../customer/customer-panel.js'
import { openManager } from '../quick-replies/quick-replies.js'
import { customerAvatar, customerName, initialsAvatar } from '../customer/identity.js'
import { decorate, withIcon } from './icons.js'
import { loadTeamZone, zoneNote } from '../team/time-zone.js'
import { convKey, convPath, el, fmtTime } from '../common/dom.js'
import { T, lang } from '../common/i18n.js'
import * as list from '../conversations/list.js'
import * as live from '../live/live.js'
import * as mentions from '../mentions/mentions.js'
import * as notifications from '../live/notifications.js'
import * as presence from '../team/presence.js'
import * as search from '../search/search-panel.js'
import * as shortcuts from './shortcuts.js'
import { isAdmin, isCurrent, on, state } from '../common/state.js'
import * as subscribe from '../subscribe/subscribe.js'
import * as timeline from '../conversations/timeline.js'

const root = document.getElementById('app')
state.me.username = root.dataset.username

// ---- layout ----
const status = el('span', { class: 'status', role: 'status', 'aria-live': 'polite', text: '' })
const adminButton = el('button', { type: 'button', id: 'open-admin', text: T.admin, hidden: true, onclick: () => { openAdmin().catch(() => {}) } })
const chatTitle = el('h2', { id: 'chat-title', text: '' })
const windowInfo = el('span', { class: 'window', id: 'window-info' })
const backButton = el('button', { class: 'back', type: 'button', text: T.back, onclick: () => closeConversation() })
const panelButton = el('button', { class: 'panel-toggle', type: 'button', id: 'toggle-customer', text: T.customer, 'aria-controls': 'customer-panel', onclick: () => customer.toggle(!document.body.classList.contains('panel-open')) })
const chat = el('main', { class: 'chat' },
  el('div', { class: 'chat-head' }, backButton, chatTitle, windowInfo, panelButton),
  bar.bar, timeline.timeline, subscribe.panel, composer.composer)
const placeholder = el('main', { class: 'chat' }, el('div', { class: 'placeholder', text: T.pick }))
const layout = el('div', { class: 'layout' }, list.listBox, placeholder)
const miniProgramsLink = el('a', { href: '/mini-programs', id: 'open-mini-programs', text: T.miniPrograms, hidden: true })
const accountLink = el('a', { href: root.dataset.authUrl + '/', id: 'open-account', text: T.account })
root.append(
  el('header', { class: 'top' }, el('h1', {}, 'kefu', el('span', { class: 'title-rest', text: ' · ' + T.title })), status, search.button, presence.presence, notifications.settings, mentions.menu, adminButton, search.reportsLink, miniProgramsLink,
    zoneNote,
    el('span', { id: 'agent' }, initialsAvatar(state.me.username, state.me.username, 'small'), el('span', { class: 'label', text: T.signedIn + state.me.username })),
    accountLink),
  layout, mentions.toasts)
// Each header control: its icon, and its words in a .label that console.css keeps for screen readers where room is short.
for (const [control, name, secondary] of [[search.button, 'search'], [presence.presence.querySelector('summary'), 'users'], [notifications.settings.querySelector('summary'), 'bell'],
  [mentions.menu.querySelector('summary'), 'at-sign'], [adminButton, 'settings', true], [search.reportsLink, 'chart-column', true], [miniProgramsLink, 'layout-grid', true], [accountLink, 'circle-user', true]]) {
  const words = [...control.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '')
  words.replaceWith(el('span', { class: 'label', text: words.textContent.trim() }))
  control.title = words.textContent.trim()
  if (secondary) control.classList.add('secondary')
  withIcon(control, name)
}
for (const tree of [root, chat, customer.panel]) decorate(tree)

// Escape closes what is open, the innermost first (pickers, the image preview, toasts and dialogs see to their own
// first): a <details> around the focus (More, search filters, a header menu), back on its summary; else the header
// menus; else, when no dialog is open, the mention toasts.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented || e.isComposing) return
  const around = document.activeElement instanceof Element ? document.activeElement.closest('details[open]') : null
  if (around !== null) {
    // Not the dialog it may be in: that one is next.
    e.preventDefault()
    around.open = false
    around.querySelector(':scope > summary').focus()
    return
  }
  const menus = document.querySelectorAll('details.menu[open]')
  for (const menu of menus) menu.open = false
  if (menus.length === 0 && document.querySelector('dialog[open]') === null && mentions.dismissToasts()) e.preventDefault()
})

function showEnded () {
  status.textContent = T.ended
  status.classList.add('offline')
  composer.setReplyState(false, false)
  composer.forgetDrafts()
  live.close()
  // What customers wrote leaves the screen with the session: the conversation, the list, search results.
  // The address keeps the conversation, so signing in again comes back to it.
  if (state.current !== null) closeConversation({ keepAddress: true })
  timeline.clear()
  state.conversations = []
  state.next = null
  list.render()
  search.forget()
  // The session watch (sso-client) says so and offers a sign-in that comes back to this conversation.
  if (window.kefuSession) window.kefuSession.check()
}
whenSignedOut(showEnded)
document.addEventListener('kefu-session', (e) => { if (e.detail === 'ended') showEnded() })
on('ended', showEnded)

// The open conversation is in the address (?c=<appid>/<openid>), so a reload or a sign-in comes back to it.
function rememberConversation (conv) {
  const q = conv === null ? '' : '?c=' + encodeURIComponent(convKey(conv.appId, conv.openid))
  history.replaceState(null, '', location.pathname + q)
}

// ---- the open conversation ----
function renderWindow (conv) {
  windowInfo.className = 'window'
  const info = state.appInfo.get(conv.appId)
  if (!info || !info.canReply) { windowInfo.textContent = T.noSecret; windowInfo.classList.add('closed'); composer.setReplyState(false, false); return }
  const w = conv.window
  if (w.open) windowInfo.textContent = T.windowOpen(w.remaining, fmtTime(w.closesAt))
  else { windowInfo.textContent = w.reason === 'closed' ? T.windowClosed : T.windowUsed; windowInfo.classList.add('closed') }
  composer.setReplyState(true, w.open)
}

/** The conversation's heading: the customer's name (or openid), and the mini program when the agent has several. */
function renderTitle () {
  const c = state.conv || state.conversations.find((x) => isCurrent(x.appId, x.openid)) || state.current
  if (c) chatTitle.replaceChildren(customerAvatar(c), customerName(c, true) + (state.apps.length > 1 ? ' · ' + c.appId : ''))
}
on('customer-named', () => { renderTitle(); list.render() })

function showConversation (conv) {
  state.conv = { ...(state.conv || {}), ...conv }
  renderWindow(state.conv)
  renderTitle()
  subscribe.update(state.conv).catch(() => {})
  bar.render()
}

async function openConversation ({ appId, openid, person, at }) {
  state.current = { appId, openid }
  state.conv = null
  rememberConversation(state.current)
  layout.replaceChild(chat, layout.children[1])
  if (!layout.contains(customer.panel)) layout.append(customer.panel)
  layout.classList.add('has-chat')
  renderTitle()
  timeline.clear()
  composer.reset()
  subscribe.reset()
  list.render()
  // `at`: a search result's message, shown among its neighbours.
  const body = await api(at ? convPath(appId, openid, 'around') + '?key=' + encodeURIComponent(at) : convPath(appId, openid), { person })
  if (!isCurrent(appId, openid)) return
  showConversation(body.conversation)
  for (const item of body.messages) timeline.upsertItem(item)
  if (at) timeline.highlight(at)
  else if (!timeline.markUnread(body.conversation.unreadCount)) timeline.scrollToEnd()
  customer.load(appId, openid, false).catch(() => {})
  const listed = state.conversations.find((c) => c.appId === appId && c.openid === openid)
  if ((listed && listed.unreadCount > 0) || body.conversation.unreadCount > 0) {
    if (listed) listed.unreadCount = 0
    list.render()
    api(convPath(appId, openid, 'read'), { method: 'POST', person }).then(() => list.recount()).catch(() => {})
  }
  composer.focus()
}
on('open', (o) => { openConversation(o).catch((err) => { composer.notice.textContent = err.message }) })

function closeConversation ({ keepAddress = false } = {}) {
  layout.classList.remove('has-chat')
  document.body.classList.remove('panel-open')
  state.current = null
  state.conv = null
  if (!keepAddress) rememberConversation(null)
  layout.replaceChild(placeholder, layout.children[1])
  customer.panel.remove()
  list.render()
}

async function refreshCurrent () {
  if (state.current === null) return
  const { appId, openid } = state.current
  const body = await api(convPath(appId, openid) + '?limit=1')
  if (isCurrent(appId, openid)) showConversation(body.conversation)
}
on('sent', () => { refreshCurrent().catch(() => {}) })

// ---- live ----
on('live-message', (data) => {
  const { conversation, ...item } = data
  const open = isCurrent(item.appId, item.openid)
  if (open) {
    timeline.upsertItem(item)
    refreshCurrent().catch(() => {})
    if (!document.hidden) api(convPath(item.appId, item.openid, 'read'), { method: 'POST' }).catch(() => {})
  }
  const existing = state.conversations.find((c) => c.appId === item.appId && c.openid === item.openid)
  const unread = conversation ? conversation.unreadCount : (existing ? existing.unreadCount : 0) + (item.type !== 'event' ? 1 : 0)
  list.upsert({
    ...(conversation || { appId: item.appId, openid: item.openid, status: 'open', assignee: null, snoozedUntil: null, tags: [], updatedAt: item.at }),
    unreadCount: open && !document.hidden ? 0 : unread,
    last: item,
    lastMessageAt: Math.max(existing ? existing.lastMessageAt : 0, item.at)
  })
  if (conversation && open) showConversation(conversation)
  notifications.onCustomerMessage(item, conversation)
  list.recount()
})
on('live-outbound', (item) => { if (isCurrent(item.appId, item.openid)) timeline.upsertItem(item) })

function applyChange (change) {
  const c = change.conversation
  list.upsert(c)
  if (isCurrent(c.appId, c.openid)) {
    showConversation(c)
    for (const item of change.activities || []) timeline.upsertItem(item)
  }
  list.recount()
}
on('conversation-changed', applyChange)
on('conversation', applyChange)

on('reconnected', () => {
  list.load(false).catch(() => {})
  list.loadCounts().catch(() => {})
  if (state.current) openConversation({ ...state.current, person: false }).catch(() => {})
})

// ---- keyboard: the command palette's views and actions ----
const shown = (node) => !node.hidden
const P = T.paletteActions
shortcuts.install({
  views: () => [
    ...['mine', 'unassigned', 'all'].map((view) => ({ id: 'view-' + view, label: T[view], run: () => document.getElementById('view-' + view).click() })),
    ...[search.reportsLink, miniProgramsLink].filter(shown).map((link) => ({ id: link.id, label: link.textContent, run: () => { location.href = link.href } })),
    ...(shown(adminButton) ? [{ id: 'admin', label: T.admin, run: () => adminButton.click() }] : [])
  ],
  actions: () => [
    ...(state.current !== null
      ? [...bar.actions(), { id: 'resolve', label: T.keys.resolve, run: shortcuts.resolve }, { id: 'reply', label: T.keys.focusReply, run: shortcuts.focusReply },
          { id: 'note', label: P.note, run: composer.writeNote }, { id: 'quick-reply', label: P.quickReply, run: composer.startQuickReply },
          { id: 'customer', label: P.customer, run: () => customer.toggle(true) }]
      : []),
    { id: 'quick-replies', label: P.manageQuickReplies, run: () => { openManager().catch(() => {}) } },
    { id: 'mentions', label: P.mentions, run: mentions.openMenu },
    { id: 'search', label: T.keys.openSearch, run: () => search.openSearch() },
    { id: 'sign-out', label: T.keys.signOut, run: () => { location.href = root.dataset.authUrl + '/' } }
  ],
  search: (text) => {
    search.openSearch()
    const q = document.getElementById('search-q')
    q.value = text
    q.form.requestSubmit()
  }
})

// ---- start ----
function start () {
  api('/api/me').then(async (me) => {
    state.me = { username: me.username, role: me.role, availability: me.availability, notifications: me.notifications }
    state.apps = me.apps.map((a) => a.appId)
    state.appInfo = new Map(me.apps.map((a) => [a.appId, a]))
    adminButton.hidden = !isAdmin()
    search.reportsLink.hidden = !isAdmin()
    miniProgramsLink.hidden = me.owner !== true
    notifications.show()
    list.setApps()
    if (state.current !== null && !state.apps.includes(state.current.appId)) closeConversation()
    await Promise.all([list.load(false), list.loadCounts(), presence.loadAgents(), list.loadTags(), loadTeamZone().catch(() => {}), mentions.load().catch(() => {})])
    // Subscribe items in previews and timelines read with their templates' titles once these are known.
    subscribe.loadTemplates().then((learned) => { if (learned) list.render() }).catch(() => {})
    live.connect(status)
    const wanted = new URLSearchParams(location.search).get('c')
    const slash = wanted === null ? -1 : wanted.indexOf('/')
    if (state.current === null && slash > 0 && state.apps.includes(wanted.slice(0, slash))) openConversation({ appId: wanted.slice(0, slash), openid: wanted.slice(slash + 1), person: false })
  }).catch((err) => { status.textContent = err.message })
}
on('restart', start)
document.documentElement.dataset.consoleLang = lang
start()
