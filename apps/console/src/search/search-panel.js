// Search over every message (GET /api/search): what was said, who said it, the conversation's tag, status and
// assignee, and when. A result opens its conversation at that message. Reports open for administrators.
import { api } from '../common/api.js'
import { el, fmtDate, preview } from '../common/dom.js'
import { customerName } from '../customer/identity.js'
import { T } from '../common/i18n.js'
import { emit, state } from '../common/state.js'

const S = T.history
const dialog = el('dialog', { class: 'dialog search-dialog', id: 'search-dialog', 'aria-labelledby': 'search-title' })
const results = el('ol', { class: 'search-results', 'aria-live': 'polite', 'aria-label': S.results })
const more = el('button', { type: 'button', text: S.more, hidden: true })
const notice = el('p', { class: 'notice', role: 'alert' })
let next = null
let lastQuery = null

function field (label, input) { return el('label', {}, el('span', { text: label }), input) }

const q = el('input', { type: 'search', name: 'q', id: 'search-q', maxlength: '100', placeholder: S.placeholder, 'aria-label': S.search })
const app = el('select', { name: 'appid' })
const openid = el('input', { type: 'text', name: 'openid', maxlength: '128', placeholder: 'o…' })
const tag = el('input', { type: 'text', name: 'tag', maxlength: '64' })
const status = el('select', { name: 'status' })
const assignee = el('input', { type: 'text', name: 'assignee', maxlength: '128' })
const from = el('input', { type: 'date', name: 'from' })
const to = el('input', { type: 'date', name: 'to' })
const form = el('form', { class: 'search-form', role: 'search', onsubmit: (e) => { e.preventDefault(); run(true).catch(() => {}) } },
  el('div', { class: 'row' }, q, el('button', { type: 'submit', class: 'primary', text: S.search })),
  el('details', {}, el('summary', { text: S.filters }),
    el('div', { class: 'search-filters' },
      field(T.allApps, app), field('OpenID', openid), field(S.tag, tag), field(S.status, status), field(S.assignee, assignee), field(S.from, from), field(S.to, to))))

/**
 * `text` with what the query's words matched wrapped in <mark>: text nodes and elements, never markup, so what a
 * customer wrote is shown as written.
 */
export function marked (text, query) {
  const words = [...new Set((query || '').trim().split(/\s+/).filter((w) => w !== ''))]
  if (words.length === 0) return [text]
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'giu')
  return text.split(pattern).filter((part) => part !== '').map((part, i) => {
    const hit = words.some((w) => w.toLocaleLowerCase() === part.toLocaleLowerCase())
    return hit ? el('mark', { text: part }) : document.createTextNode(part)
  })
}

function resultNode (item) {
  const name = customerName({ ...item, displayName: item.conversation && item.conversation.displayName })
  const who = item.direction === 'out' ? `${item.agent || S.agent} → ${name}` : name
  const open = () => {
    dialog.close()
    emit('open', { appId: item.appId, openid: item.openid, person: true, at: item.key })
  }
  return el('li', {}, el('button', { type: 'button', class: 'search-hit', 'data-key': item.key, onclick: open },
    el('span', { class: 'hit-head', text: `${who} · ${state.apps.length > 1 ? item.appId.slice(-4) + ' · ' : ''}${fmtDate(item.at)}` }),
    el('span', { class: 'hit-text' }, ...marked(preview(item) || item.type, lastQuery === null ? '' : lastQuery.get('q')))))
}

async function run (fresh) {
  notice.textContent = ''
  if (fresh) {
    const params = new URLSearchParams()
    for (const input of [q, app, openid, tag, status, assignee, from, to]) if (input.value.trim() !== '') params.set(input.name, input.value.trim())
    lastQuery = params
    next = null
    results.replaceChildren()
  }
  const params = new URLSearchParams(lastQuery)
  if (next !== null) params.set('after', next)
  try {
    const body = await api('/api/search?' + params, { person: true })
    for (const item of body.results) results.append(resultNode(item))
    if (fresh && body.results.length === 0) results.append(el('li', { class: 'empty', text: T.empty.search }))
    next = body.next
    more.hidden = next === null
  } catch (err) {
    notice.textContent = err.message
  }
}
more.addEventListener('click', () => { run(false).catch(() => {}) })

export const button = el('button', { type: 'button', id: 'open-search', text: S.search, 'aria-haspopup': 'dialog', onclick: () => openSearch() })
export const reportsLink = el('a', { href: '/reports', id: 'open-reports', text: S.reports, hidden: true })

/** Closes the search and drops its results (the session ended). */
export function forget () {
  if (dialog.open) dialog.close()
  results.replaceChildren()
  more.hidden = true
  q.value = ''
}

export function openSearch () {
  if (!dialog.isConnected) {
    dialog.append(el('h2', { id: 'search-title', text: S.title }), form, notice, results, more,
      el('form', { method: 'dialog' }, el('button', { type: 'submit', text: T.close })))
    document.body.append(dialog)
  }
  app.replaceChildren(el('option', { value: '', text: T.allApps }), ...state.apps.map((a) => el('option', { value: a, text: a })))
  status.replaceChildren(el('option', { value: '', text: T.status.all }), ...['open', 'pending', 'resolved'].map((s) => el('option', { value: s, text: T.status[s] })))
  dialog.showModal()
  q.focus()
}

// "/" anywhere outside a text field opens the search, as in most web apps.
document.addEventListener('keydown', (e) => {
  const t = e.target
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || dialog.open) return
  if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return
  e.preventDefault()
  openSearch()
})
