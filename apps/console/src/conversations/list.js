// The conversation list: views (mine, unassigned, all) with their counts, filters (mini program, status, tag), and
// the rows, kept current by live updates.
import { api } from '../common/api.js'
import { convKey, el, fmtTime, isSnoozed, preview } from '../common/dom.js'
import { customerAvatar, customerName, initialsAvatar } from '../customer/identity.js'
import { T } from '../common/i18n.js'
import { emit, isCurrent, on, state } from '../common/state.js'

const tabs = ['mine', 'unassigned', 'all'].map((view) => el('button', {
  type: 'button', role: 'tab', 'data-view': view, id: 'view-' + view, 'aria-controls': 'conversation-views', onclick: () => setView(view, true)
}))
const tabList = el('div', { class: 'views', role: 'tablist', 'aria-label': T.views }, ...tabs)
const appSelect = el('select', { 'aria-label': T.allApps, id: 'app-filter', onchange: () => { state.filter = appSelect.value; load(true) } })
const statusSelect = el('select', { 'aria-label': T.statusFilter, id: 'status-filter', onchange: () => { state.status = statusSelect.value; load(true) } },
  ...['open', 'pending', 'snoozed', 'resolved', 'all'].map((s) => el('option', { value: s, text: T.status[s] })))
const tagSelect = el('select', { 'aria-label': T.tagFilter, id: 'tag-filter', onchange: () => { state.tag = tagSelect.value; load(true) } })
// The tab panel holds the list (a list's items must sit in the list itself, not under role=tabpanel).
const list = el('ul', { class: 'conversations', 'aria-label': T.title })
export const listBox = el('nav', { class: 'list' },
  tabList,
  el('div', { class: 'list-tools' }, appSelect, statusSelect, tagSelect),
  el('div', { role: 'tabpanel', id: 'conversation-views', 'aria-label': T.views }, list))

// Arrow keys move between the view tabs (the tab list is one stop for Tab).
tabList.addEventListener('keydown', (e) => {
  const i = tabs.indexOf(document.activeElement)
  if (i < 0 || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return
  const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]
  next.focus()
  setView(next.dataset.view, true)
})

function setView (view, person) {
  state.view = view
  renderTabs()
  load(person)
}

function renderTabs () {
  const n = { mine: state.counts.mine, unassigned: state.counts.unassigned }
  for (const tab of tabs) {
    const view = tab.dataset.view
    const selected = view === state.view
    tab.setAttribute('aria-selected', String(selected))
    tab.tabIndex = selected ? 0 : -1
    tab.textContent = T[view] + (n[view] !== undefined ? ` ${n[view]}` : '')
  }
}

/** Whether a conversation belongs in the list as filtered now. */
export function matches (c) {
  if (state.filter && c.appId !== state.filter) return false
  if (state.view === 'mine' && c.assignee !== state.me.username) return false
  if (state.view === 'unassigned' && c.assignee !== null) return false
  if (state.tag && !(c.tags || []).includes(state.tag)) return false
  switch (state.status) {
    case 'open': return c.status === 'open' && !isSnoozed(c)
    case 'pending': return c.status === 'pending' && !isSnoozed(c)
    case 'resolved': return c.status === 'resolved'
    case 'snoozed': return isSnoozed(c)
    default: return true
  }
}

export function setApps () {
  appSelect.replaceChildren(el('option', { value: '', text: T.allApps }), ...state.apps.map((a) => el('option', { value: a, text: a })))
  appSelect.hidden = state.apps.length < 2
  if (state.filter && !state.apps.includes(state.filter)) state.filter = ''
  appSelect.value = state.filter
}

export async function loadTags () {
  const body = await api('/api/tags')
  const tags = body.tags.map((t) => t.tag)
  if (state.tag && !tags.includes(state.tag)) tags.unshift(state.tag)
  tagSelect.replaceChildren(el('option', { value: '', text: T.anyTag }), ...tags.map((t) => el('option', { value: t, text: t })))
  tagSelect.value = state.tag
  tagSelect.hidden = tags.length === 0
}

function assigneeBadge (c) {
  if (c.assignee === null) return el('span', { class: 'badge unassigned', text: T.nobody })
  return el('span', { class: 'badge' + (c.assignee === state.me.username ? ' mine' : '') }, initialsAvatar(c.assignee, c.assignee, 'small'), c.assignee === state.me.username ? T.you : c.assignee)
}

export function render () {
  renderTabs()
  list.replaceChildren()
  if (state.apps.length === 0) { list.append(el('li', { class: 'empty', text: T.noApps })); return }
  if (state.conversations.length === 0) { list.append(el('li', { class: 'empty', text: T.empty[state.view] ?? T.empty.all })); return }
  for (const c of state.conversations) {
    const unread = c.unreadCount > 0 ? el('span', { class: 'unread', 'aria-label': T.unread(c.unreadCount), text: String(c.unreadCount) }) : null
    const status = c.status !== 'open' || isSnoozed(c) ? el('span', { class: 'badge status-' + c.status, text: isSnoozed(c) ? T.status.snoozed : T.status[c.status] }) : null
    list.append(el('li', {}, el('button', {
      type: 'button', 'aria-current': isCurrent(c.appId, c.openid) ? 'true' : 'false', 'data-conversation': convKey(c.appId, c.openid),
      onclick: () => emit('open', { appId: c.appId, openid: c.openid, person: true })
    },
    el('div', { class: 'conv-top' }, customerAvatar(c), el('span', { class: 'conv-name', text: customerName(c) }), el('span', { class: 'conv-time', text: fmtTime(c.lastMessageAt) })),
    el('div', { class: 'conv-preview' }, unread, el('span', { class: 'conv-text', text: (state.apps.length > 1 ? c.appId.slice(-4) + ' · ' : '') + preview(c.last) })),
    el('div', { class: 'conv-meta' }, assigneeBadge(c), status, ...(c.tags || []).slice(0, 3).map((t) => el('span', { class: 'tag', text: t }))))))
  }
  if (state.next !== null) list.append(el('li', {}, el('button', { type: 'button', text: '…', onclick: loadMore })))
}

function query (extra) {
  const q = new URLSearchParams({ limit: '30', view: state.view, status: state.status, ...extra })
  if (state.filter) q.set('appid', state.filter)
  if (state.tag) q.set('tag', state.tag)
  return q
}

export async function load (person) {
  const body = await api('/api/conversations?' + query(), { person })
  state.conversations = body.conversations
  state.next = body.next
  render()
}

async function loadMore () {
  if (state.next === null) return
  const body = await api('/api/conversations?' + query(Object.fromEntries(Object.entries(state.next).map(([k, v]) => [k, String(v)]))), { person: true })
  state.conversations.push(...body.conversations)
  state.next = body.next
  render()
}

export async function loadCounts () {
  state.counts = await api('/api/counts')
  renderTabs()
  emit('counts', state.counts)
}

// Live updates recount in the background, at most once every half second.
let countTimer = null
export function recount () {
  clearTimeout(countTimer)
  countTimer = setTimeout(() => { loadCounts().catch(() => {}) }, 500)
}

/** A newer state or summary of a conversation: merged into its row, which moves, appears or goes as the filters say. */
export function upsert (update) {
  const key = convKey(update.appId, update.openid)
  const i = state.conversations.findIndex((c) => convKey(c.appId, c.openid) === key)
  const old = i >= 0 ? state.conversations[i] : null
  if (old !== null && old.updatedAt > update.updatedAt && update.lastMessageAt === undefined) return old
  const merged = { ...(old || { unreadCount: 0, tags: [], last: null, lastMessageAt: update.updatedAt }), ...update }
  if (i >= 0) state.conversations.splice(i, 1)
  if (matches(merged)) {
    const at = state.conversations.findIndex((c) => c.lastMessageAt <= merged.lastMessageAt)
    // Below the last row of a list with more pages, it belongs to a page not loaded yet.
    if (at >= 0 || state.next === null) state.conversations.splice(at < 0 ? state.conversations.length : at, 0, merged)
  }
  render()
  return merged
}

on('current', render)
