// The command palette (Ctrl-K, ⌘-K): one search box over the loaded conversations (by the customer's name, openid,
// mini program, tags), the views the agent may open (the list's tabs, reports, mini programs, administration) and the
// actions on the open conversation and the agent's own. Arrow keys choose, Enter runs, Escape closes and gives the
// focus back to where it was. A query that matches no conversation offers to search every message for it.
import { el } from '../common/dom.js'
import { customerName } from '../customer/identity.js'
import { T } from '../common/i18n.js'
import { emit, state } from '../common/state.js'

const K = T.keys
const input = el('input', { type: 'search', id: 'palette-q', role: 'combobox', 'aria-expanded': 'true', 'aria-autocomplete': 'list', 'aria-controls': 'palette-options', 'aria-label': K.paletteSearch, placeholder: K.paletteSearch, autocomplete: 'off' })
const options = el('ul', { role: 'listbox', id: 'palette-options', 'aria-label': K.palette })
const empty = el('p', { class: 'notice', role: 'status' })
export const dialog = el('dialog', { class: 'dialog palette', id: 'palette', 'aria-modal': 'true', 'aria-labelledby': 'palette-title' },
  el('h2', { id: 'palette-title', class: 'visually-hidden', text: K.palette }), input, options, empty)

let commands = []
let shown = []
let chosen = 0
let returnTo = null
/** What the page offers the palette besides conversations: `views()` and `actions()`, each [{ id, label, run }]. */
let sources = { views: () => [], actions: () => [], search: () => {} }
export function provide (s) { sources = { ...sources, ...s } }

function conversations () {
  return state.conversations.map((c) => ({
    id: 'conv-' + c.appId + '-' + c.openid,
    group: K.groupConversations,
    label: customerName(c) + (state.apps.length > 1 ? ' · ' + c.appId : ''),
    words: c.openid + ' ' + c.appId + ' ' + (c.tags || []).join(' '),
    run: () => emit('open', { appId: c.appId, openid: c.openid, person: true })
  }))
}

function render () {
  const q = input.value.trim().toLocaleLowerCase()
  shown = commands.filter((c) => q === '' || (c.label + ' ' + (c.words || '')).toLocaleLowerCase().includes(q))
  if (q !== '' && !shown.some((c) => c.group === K.groupConversations)) {
    shown.push({ id: 'search', group: K.groupActions, label: K.searchMessages(input.value.trim()), run: () => sources.search(input.value.trim()) })
  }
  chosen = Math.min(chosen, Math.max(0, shown.length - 1))
  options.replaceChildren(...shown.map((c, i) => el('li', {
    role: 'option', id: 'palette-' + i, 'aria-selected': String(i === chosen), onclick: () => run(i)
  }, el('span', { class: 'group', text: c.group }), el('span', { text: c.label }))))
  if (shown.length > 0) input.setAttribute('aria-activedescendant', 'palette-' + chosen)
  else input.removeAttribute('aria-activedescendant')
  empty.textContent = shown.length === 0 ? K.paletteNone : ''
}

function choose (i) {
  if (shown.length === 0) return
  chosen = (i + shown.length) % shown.length
  for (const [n, node] of [...options.children].entries()) node.setAttribute('aria-selected', String(n === chosen))
  input.setAttribute('aria-activedescendant', 'palette-' + chosen)
  options.children[chosen].scrollIntoView({ block: 'nearest' })
}

function run (i) {
  const command = shown[i]
  if (command === undefined) return
  close(false)
  command.run()
}

export function open () {
  if (dialog.open) return
  returnTo = document.activeElement
  commands = [
    ...conversations(),
    ...sources.views().map((c) => ({ ...c, group: K.groupViews })),
    ...sources.actions().map((c) => ({ ...c, group: K.groupActions }))
  ]
  input.value = ''
  chosen = 0
  render()
  if (!dialog.isConnected) document.body.append(dialog)
  dialog.showModal()
  input.focus()
}

function close (giveBack) {
  dialog.close()
  if (giveBack && returnTo !== null && returnTo.isConnected) returnTo.focus()
  returnTo = null
}

input.addEventListener('input', () => { chosen = 0; render() })
dialog.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowDown') { e.preventDefault(); choose(chosen + 1) }
  else if (e.key === 'ArrowUp') { e.preventDefault(); choose(chosen - 1) }
  else if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); run(chosen) }
  else if (e.key === 'Escape') { e.preventDefault(); close(true) }
  // The search box is the dialog's one stop: Tab stays in it.
  else if (e.key === 'Tab') e.preventDefault()
})
dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(true) })
