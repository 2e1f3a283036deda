// Quick replies: `/` in the composer opens a list searched by shortcut or text (arrows move, Enter or Tab inserts,
// Escape closes); a dialog manages one's own and, for administrators, the shared ones of each mini program.
import { api } from '../common/api.js'
import { el, outcome } from '../common/dom.js'
import { listboxKeys } from '../common/listbox-keys.js'
import { T } from '../common/i18n.js'
import { isAdmin, on, state } from '../common/state.js'
import { fillVariables, VARIABLES } from './variables.js'

let cache = null
async function all () {
  if (cache === null) cache = api('/api/quick-replies').then((b) => b.quickReplies).catch((err) => { cache = null; throw err })
  return await cache
}
on('quick-replies', () => { cache = null })

/** Those usable in a conversation of `appId`, best match first: shortcut prefix, then shortcut, then text. */
export async function search (appId, query) {
  const q = query.toLowerCase()
  const usable = (await all()).filter((r) => r.scope === 'personal' || r.appId === appId)
  const rank = (r) => r.shortcut.toLowerCase().startsWith(q) ? 0 : r.shortcut.toLowerCase().includes(q) ? 1 : r.text.toLowerCase().includes(q) ? 2 : 3
  return usable.map((r) => [rank(r), r]).filter(([n]) => n < 3).sort((a, b) => a[0] - b[0] || a[1].shortcut.localeCompare(b[1].shortcut)).map(([, r]) => r).slice(0, 8)
}

/**
 * Attaches the picker to a textarea: typing `/word` at the start of a line or after a space shows matches; the chosen
 * one replaces `/word` with its text, its variables filled from `valuesOf()` (variables.js; a placeholder left
 * unfilled is selected for the agent to type over). `appIdOf()` is null when it does not apply (notes).
 */
export function attachPicker (textarea, appIdOf, valuesOf = () => ({})) {
  const box = el('ul', { class: 'qr-picker', role: 'listbox', id: 'qr-picker', 'aria-label': T.quickReplies, hidden: true })
  let items = []
  let active = 0
  let token = null
  // A textbox may say it completes from a list and which option is active; aria-expanded is not one of its
  // attributes (axe-core's aria-allowed-attr): the list's own hidden says whether it is shown.
  textarea.setAttribute('aria-autocomplete', 'list')
  textarea.setAttribute('aria-controls', 'qr-picker')

  function close () {
    box.hidden = true
    items = []
    token = null
    textarea.removeAttribute('aria-activedescendant')
  }
  function draw () {
    const values = valuesOf()
    box.replaceChildren(...(items.length === 0
      ? [el('li', { class: 'qr-empty', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', text: T.empty.quickReplies })]
      : items.map((r, i) => el('li', {
        role: 'option', id: 'qr-' + i, 'aria-selected': String(i === active), 'data-shortcut': r.shortcut,
        onmousedown: (e) => { e.preventDefault(); choose(i) }
      }, el('strong', { text: '/' + r.shortcut }), el('span', { text: fillVariables(r.text, values).text }), el('small', { text: r.scope === 'shared' ? T.shared : T.personal })))))
    box.hidden = false
    if (items.length > 0) textarea.setAttribute('aria-activedescendant', 'qr-' + active)
  }
  function choose (i) {
    const r = items[i]
    if (r === undefined || token === null) return
    const v = textarea.value
    const filled = fillVariables(r.text, valuesOf())
    textarea.value = v.slice(0, token.start) + filled.text + v.slice(token.end)
    const caret = token.start + filled.text.length
    if (filled.gap === null) textarea.setSelectionRange(caret, caret)
    else textarea.setSelectionRange(token.start + filled.gap.start, token.start + filled.gap.end)
    close()
    textarea.dispatchEvent(new Event('input'))
  }
  async function update () {
    const v = textarea.value
    const end = textarea.selectionStart
    const m = /(^|\s)\/([^\s/]*)$/.exec(v.slice(0, end))
    const appId = appIdOf()
    if (m === null || appId === null) { close(); return }
    token = { start: end - m[2].length - 1, end }
    const found = await search(appId, m[2]).catch(() => [])
    if (token === null) return
    items = found
    active = 0
    draw()
  }
  textarea.addEventListener('input', () => { update() })
  textarea.addEventListener('blur', close)
  listboxKeys(textarea, { open: () => !box.hidden, size: () => items.length, active: () => active, select: (i) => { active = i; draw() }, choose: () => choose(active), close })
  return box
}

// ---- the management dialog ----
const dialog = el('dialog', { class: 'dialog', id: 'quick-replies-dialog', 'aria-labelledby': 'qr-title' })

function row (r, editable) {
  const shortcut = el('input', { type: 'text', value: r.shortcut, 'aria-label': T.shortcut, maxlength: '32', disabled: !editable })
  const text = el('textarea', { rows: '2', 'aria-label': T.text, maxlength: '2000', disabled: !editable })
  text.value = r.text
  const status = outcome()
  return el('li', { class: 'qr-row', 'data-id': r.id }, shortcut, text, editable
    ? el('span', {},
      el('button', { type: 'button', text: T.save, onclick: async () => { await saving(status, () => api('/api/quick-replies/' + r.id, { method: 'PUT', json: { shortcut: shortcut.value, text: text.value }, person: true })) } }),
      el('button', { type: 'button', text: T.delete, onclick: async () => { if (await saving(status, () => api('/api/quick-replies/' + r.id, { method: 'DELETE', person: true }))) await fill() } }),
      status.node)
    : null)
}

/** Runs a change and says how it went in `status`; whether it was saved. */
async function saving (status, fn) {
  try { await fn(); cache = null; status.ok(T.saved); return true } catch (err) { status.error(err.message); return false }
}

function addForm (scope, appId) {
  const shortcut = el('input', { type: 'text', placeholder: T.shortcut, 'aria-label': T.shortcut, maxlength: '32', required: true })
  const text = el('textarea', { rows: '2', placeholder: T.text, 'aria-label': T.text, maxlength: '2000', required: true })
  const status = outcome()
  return el('form', {
    class: 'qr-row qr-add',
    onsubmit: async (e) => {
      e.preventDefault()
      if (await saving(status, () => api('/api/quick-replies', { method: 'POST', json: { scope, ...(appId ? { appId } : {}), shortcut: shortcut.value, text: text.value }, person: true }))) await fill()
    }
  }, shortcut, text, el('button', { type: 'submit', text: T.add }), status.node)
}

async function fill () {
  cache = null
  const replies = await all()
  const sections = [el('section', {}, el('h3', { text: T.personal }),
    el('ul', {}, ...replies.filter((r) => r.scope === 'personal').map((r) => row(r, true))), addForm('personal'))]
  for (const appId of state.apps) {
    sections.push(el('section', {}, el('h3', { text: T.sharedOf(appId) }),
      el('ul', {}, ...replies.filter((r) => r.appId === appId).map((r) => row(r, isAdmin()))),
      isAdmin() ? addForm('shared', appId) : el('p', { class: 'hint', text: T.adminOnlyShared })))
  }
  dialog.replaceChildren(el('h2', { id: 'qr-title', text: T.manageQuickReplies }),
    el('p', { class: 'hint', id: 'qr-variables', text: T.quickReplyVariables(VARIABLES.map((v) => `{{${v}}}`).join(' ')) }), ...sections,
    el('form', { method: 'dialog' }, el('button', { type: 'submit', text: T.close })))
}

export async function openManager () {
  if (!dialog.isConnected) document.body.append(dialog)
  await fill()
  dialog.showModal()
}
