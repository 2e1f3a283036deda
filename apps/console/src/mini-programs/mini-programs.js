// The Mini programs page (owners only): a searched, paged list (the server searches and pages: 20 rows at a time,
// whatever the count), add and edit forms, key rotation, disable / enable, "Test", and what to paste into WeChat.
// Stored secrets never come here; the values to paste are those the owner has just typed (or generated) in this page.
import { api } from '../common/api.js'
import { el } from '../common/dom.js'
import { showOptions } from './mini-programs-options.js'
import { M } from './mini-programs-text.js'

const root = document.getElementById('mini-programs')
const state = { q: '', page: 1 }
const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' })
const list = el('div', { class: 'mp-list' })
const panel = el('section', { class: 'mp-panel', 'aria-live': 'polite' })
const pager = el('nav', { class: 'mp-pager', 'aria-label': M.page(1, 1, 0) })
const searchInput = el('input', { type: 'search', id: 'mp-search', name: 'q', placeholder: M.search, 'aria-label': M.search })
const actions = el('div', { class: 'mp-actions' },
  el('button', { type: 'button', id: 'mp-add', text: M.add, onclick: () => { showForm(null) } }))

root.append(
  el('header', { class: 'top' }, el('h1', { text: 'kefu · ' + M.title }), el('a', { href: '/', text: M.back })),
  el('main', {},
    el('form', { class: 'mp-search', role: 'search', onsubmit: (e) => { e.preventDefault(); state.q = searchInput.value; state.page = 1; void load() } },
      searchInput, el('button', { type: 'submit', text: M.searchButton })),
    actions, status, panel, list, pager))

// Third-party platform mode (another feature's route): a button only when it answers that it is configured.
api('/api/component').then((c) => {
  if (c && c.configured === true && typeof c.authorizeUrl === 'string') actions.append(el('a', { class: 'button', id: 'mp-authorize', href: c.authorizeUrl, text: M.authorize }))
}).catch(() => {})

const fmt = (iso) => iso === null ? M.never : new Date(iso).toLocaleString()

async function load () {
  const params = new URLSearchParams({ page: String(state.page) })
  if (state.q !== '') params.set('q', state.q)
  const r = await api('/api/mini-programs?' + params)
  const pages = Math.max(1, Math.ceil(r.total / r.pageSize))
  list.replaceChildren(r.items.length === 0
    ? el('p', { text: M.none })
    : el('table', {},
      el('caption', { text: M.page(r.page, pages, r.total) }),
      el('thead', {}, el('tr', {}, ...[M.appid, M.name, M.enabled, M.lastPush, M.pushesToday, M.lastError, M.actions].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, ...r.items.map(row))))
  pager.setAttribute('aria-label', M.page(r.page, pages, r.total))
  pager.replaceChildren(
    el('button', { type: 'button', text: M.prev, disabled: r.page <= 1, onclick: () => { state.page--; void load() } }),
    el('span', { text: M.page(r.page, pages, r.total) }),
    el('button', { type: 'button', text: M.next, disabled: r.page >= pages, onclick: () => { state.page++; void load() } }))
}

function row (p) {
  const s = p.stats || { lastPushAt: null, pushesToday: 0, lastError: null }
  const managed = p.managedBy !== 'console'
  const buttons = el('td', { class: 'mp-row-actions' },
    el('button', { type: 'button', text: M.details, onclick: () => { showDetails(p) } }),
    el('button', { type: 'button', text: M.test, onclick: (e) => { void runTest(p, e.target) } }))
  // The options are the team's for every mini program but those of WECHAT_APPS (changed there).
  if (p.managedBy !== 'configuration') buttons.append(el('button', { type: 'button', text: M.options, onclick: () => { showOptions(p, panel, (message) => { status.textContent = message; void load() }) } }))
  if (!managed) {
    buttons.append(
      el('button', { type: 'button', text: M.edit, onclick: () => { showForm(p) } }),
      el('button', { type: 'button', text: p.enabled ? M.disable : M.enable, onclick: () => { void setEnabled(p, !p.enabled) } }))
  }
  return el('tr', { 'data-appid': p.appid },
    el('th', { scope: 'row', text: p.appid }),
    el('td', { text: (p.name || '') + (managed ? ` (${M.managed})` : '') }),
    el('td', { text: p.enabled ? M.on : M.off }),
    el('td', { text: fmt(s.lastPushAt) }),
    el('td', { text: String(s.pushesToday) }),
    el('td', { text: s.lastError === null ? M.never : `${s.lastError.errcode ?? ''} ${s.lastError.errmsg ?? ''}`.trim() }),
    buttons)
}

function copyRow (label, value) {
  const out = el('output', { text: value })
  return el('div', { class: 'mp-copy' }, el('span', { text: label + '：' }), out,
    el('button', { type: 'button', text: M.copy, 'aria-label': `${M.copy} ${label}`, onclick: async (e) => { await navigator.clipboard.writeText(value).catch(() => {}); e.target.textContent = M.copied } }))
}

/** What to paste into WeChat: the URL and format from the server; the token and key only as typed here, just now. */
function pushSettings (p, typed) {
  const box = el('div', { class: 'mp-push' }, el('p', { text: M.pushSettings }), copyRow(M.url, p.push.url))
  if (typed && typed.token) box.append(copyRow(M.token, typed.token))
  else box.append(el('p', { text: `${M.token}: ${p.token ? M.stored(p.token) : M.never}` }))
  if (typed && typed.encodingAESKey) box.append(copyRow(M.encodingAESKey, typed.encodingAESKey))
  else if (p.encodingAESKey) box.append(el('p', { text: `${M.encodingAESKey}: ${M.stored(p.encodingAESKey)}` }))
  box.append(copyRow(M.mode, p.push.mode === 'safe' ? M.safe : M.plain), copyRow(M.format, p.push.format))
  box.append(el('p', { class: 'hint', text: typed ? M.pasteNow : M.secretsHidden }))
  return box
}

function showDetails (p) {
  const rotate = p.managedBy !== 'console'
    ? null
    : el('button', { type: 'button', text: M.rotate, onclick: () => { showRotate(p) } })
  panel.replaceChildren(el('h2', { text: `${p.name || p.appid}` }),
    el('p', { text: p.managedBy === 'configuration' ? M.managed : p.managedBy === 'component' ? M.component : M.console }),
    el('p', { text: `${M.secret}: ${p.secret ? M.stored(p.secret) : M.never}` }),
    p.previousEncodingAESKey ? el('p', { text: M.previousKey(p.previousEncodingAESKey) }) : null,
    pushSettings(p, null), rotate)
}

/** Random values as WeChat's own "随机生成" makes them. */
function random (n, alphabet) {
  const bytes = crypto.getRandomValues(new Uint8Array(n))
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('')
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function field (name, label, attrs, generate) {
  const input = el('input', { id: 'mp-' + name, name, autocomplete: 'off', ...attrs })
  const wrap = el('div', { class: 'mp-field' }, el('label', { for: 'mp-' + name, text: label }), input)
  if (generate) wrap.append(el('button', { type: 'button', text: M.generate, 'aria-label': `${M.generate} ${label}`, onclick: () => { input.value = generate() } }))
  return wrap
}

function showForm (p) {
  const errors = el('ul', { class: 'mp-errors' })
  const format = el('select', { id: 'mp-format', name: 'messageFormat' }, el('option', { value: 'json', text: 'JSON' }), el('option', { value: 'xml', text: 'XML' }))
  if (p) format.value = p.messageFormat
  const keep = p ? { placeholder: M.keepSecret } : {}
  const form = el('form', { class: 'mp-form', novalidate: true },
    el('h2', { text: p ? `${M.edit} ${p.appid}` : M.add }),
    p ? null : field('appid', M.appid, { required: true }),
    field('name', M.name, { value: p && p.name ? p.name : '' }),
    field('originalId', M.originalId, { value: p && p.originalId ? p.originalId : '' }),
    field('token', M.token, { required: !p, ...keep }, () => random(32, ALNUM)),
    p ? null : field('encodingAESKey', M.encodingAESKey, {}, () => random(43, ALNUM)),
    field('secret', M.secret, { type: 'password', ...keep }),
    el('div', { class: 'mp-field' }, el('label', { for: 'mp-format', text: M.format }), format),
    el('div', { role: 'alert' }, errors),
    el('button', { type: 'submit', text: M.save }),
    el('button', { type: 'button', text: M.cancel, onclick: () => { panel.replaceChildren() } }))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const data = Object.fromEntries(new FormData(form))
    for (const k of Object.keys(data)) if (data[k] === '') delete data[k]
    try {
      const r = await api(p ? '/api/mini-programs/' + p.appid : '/api/mini-programs', { method: p ? 'PUT' : 'POST', json: data, person: true })
      status.textContent = M.saved
      panel.replaceChildren(el('h2', { text: r.miniProgram.appid }), pushSettings(r.miniProgram, data))
      void load()
    } catch (err) {
      errors.replaceChildren(...((err.body && err.body.problems) || [err.message]).map((line) => el('li', { text: line })))
    }
  })
  panel.replaceChildren(form)
}

function showRotate (p) {
  const errors = el('ul', { class: 'mp-errors' })
  const form = el('form', { class: 'mp-form', novalidate: true }, el('h2', { text: `${M.rotate} · ${p.appid}` }),
    field('encodingAESKey', M.newKey, { required: true }, () => random(43, ALNUM)), el('div', { role: 'alert' }, errors),
    el('button', { type: 'submit', text: M.save }), el('button', { type: 'button', text: M.cancel, onclick: () => { panel.replaceChildren() } }))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const encodingAESKey = form.elements.encodingAESKey.value
    try {
      const r = await api(`/api/mini-programs/${p.appid}/rotate-key`, { method: 'POST', json: { encodingAESKey }, person: true })
      status.textContent = M.rotated
      panel.replaceChildren(pushSettings(r.miniProgram, { encodingAESKey }))
      void load()
    } catch (err) {
      errors.replaceChildren(...((err.body && err.body.problems) || [err.message]).map((line) => el('li', { text: line })))
    }
  })
  panel.replaceChildren(form)
}

async function setEnabled (p, enabled) {
  try {
    await api(`/api/mini-programs/${p.appid}/enabled`, { method: 'PUT', json: { enabled }, person: true })
    status.textContent = `${p.appid}: ${enabled ? M.on : M.off}`
    await load()
  } catch (err) { status.textContent = err.message }
}

async function runTest (p, button) {
  status.textContent = M.testing
  button.disabled = true
  try {
    const r = await api(`/api/mini-programs/${p.appid}/test`, { method: 'POST', person: true })
    status.textContent = `${p.appid}: ${r.explanation}${r.ok || r.errcode === null ? '' : ` (errcode ${r.errcode})`}`
  } catch (err) { status.textContent = err.message } finally { button.disabled = false }
}

// Back from WeChat's authorization page (GET /component/callback sends the browser here).
const authorized = new URLSearchParams(location.search).get('authorized')
if (authorized !== null && /^wx[0-9A-Za-z]{16}$/.test(authorized)) {
  state.q = authorized
  searchInput.value = authorized
  status.textContent = M.authorized(authorized)
}
void load()
