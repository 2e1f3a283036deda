// Keyboard-first: Ctrl-K / ⌘-K opens the command palette anywhere; single keys act only when the agent is not
// typing in a field and nothing modal is open: ? lists the shortcuts, j / k open the next / previous conversation,
// r focuses the reply box, e resolves the open conversation (/ opens the search: search-panel.js).
import { el } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { state } from '../common/state.js'
import * as palette from './palette.js'

const K = T.keys
const P = T.paletteActions
// Every key the console answers: anywhere (this module, search-panel.js, console.js's Escape), and in the reply box
// (composer.js, the quick-reply and mention pickers).
const ANYWHERE = [['Ctrl K / ⌘ K', K.shortcutList.palette], ['?', K.shortcutList.help], ['j', K.shortcutList.next], ['k', K.shortcutList.previous],
  ['r', K.shortcutList.reply], ['e', K.shortcutList.resolve], ['/', K.shortcutList.search], ['Esc', K.shortcutList.escape]]
const IN_COMPOSER = [['Enter', P.send], ['Shift Enter', P.newLine], ['/', P.quickReplies], ['@', P.mention], ['↑ ↓', P.pick]]
const table = (caption, rows) => el('table', {}, el('caption', { text: caption }),
  el('tbody', {}, ...rows.map(([key, what]) => el('tr', {}, el('th', { scope: 'row' }, el('kbd', { text: key })), el('td', { text: what })))))
const closeButton = el('button', { type: 'button', text: T.close })
export const help = el('dialog', { class: 'dialog shortcuts-dialog', id: 'shortcuts', 'aria-modal': 'true', 'aria-labelledby': 'shortcuts-title' },
  el('h2', { id: 'shortcuts-title', text: K.shortcuts }), table(P.anywhere, ANYWHERE), table(P.inComposer, IN_COMPOSER), closeButton)
let helpReturn = null
function closeHelp () {
  help.close()
  if (helpReturn !== null && helpReturn.isConnected) helpReturn.focus()
  helpReturn = null
}
closeButton.addEventListener('click', closeHelp)
help.addEventListener('cancel', (e) => { e.preventDefault(); closeHelp() })
// One control: Tab stays on it.
help.addEventListener('keydown', (e) => { if (e.key === 'Tab') { e.preventDefault(); closeButton.focus() } })

export function openHelp () {
  if (help.open) return
  helpReturn = document.activeElement
  if (!help.isConnected) document.body.append(help)
  help.showModal()
  closeButton.focus()
}

const typing = (t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))
const visible = (node) => node !== null && !node.hidden && node.offsetParent !== null

/** Opens the conversation `step` rows below (1) or above (-1) the open one in the list. */
function move (step) {
  const rows = [...document.querySelectorAll('button[data-conversation]')]
  if (rows.length === 0) return
  const at = rows.findIndex((b) => b.getAttribute('aria-current') === 'true')
  const next = rows[at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + step))]
  if (next !== rows[at]) { next.click(); next.focus() }
}

export function resolve () {
  const select = document.getElementById('status')
  if (state.current === null || select === null || select.value === 'resolved') return
  select.value = 'resolved'
  select.dispatchEvent(new Event('change'))
}

export const focusReply = () => { const reply = document.getElementById('reply-text'); if (visible(reply)) reply.focus() }

/** Wires the keys; `actions` adds the page's own (see palette.provide). */
export function install (sources) {
  palette.provide(sources)
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
      e.preventDefault()
      if (help.open) closeHelp()
      palette.open()
      return
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target) || document.querySelector('dialog[open]') !== null) return
    const act = { '?': openHelp, j: () => move(1), k: () => move(-1), r: focusReply, e: resolve }[e.key]
    if (act === undefined) return
    e.preventDefault()
    act()
  })
}
