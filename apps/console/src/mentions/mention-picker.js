// `@` in a note offers the colleagues who serve the conversation's mini program, filtered as one types (arrows move,
// Enter or Tab inserts `@username`, Escape closes, a click picks); the textarea stays focused and names the active
// option (aria-activedescendant), as the quick-replies picker does.
import { el } from '../common/dom.js'
import { listboxKeys } from '../common/listbox-keys.js'
import { T } from '../common/i18n.js'
import { state } from '../common/state.js'

/** Colleagues serving `appId` (not oneself) whose name has `query`, those starting with it first; eight at most. */
export function colleaguesFor (appId, query) {
  const q = query.toLowerCase()
  return state.agents
    .filter((a) => a.username !== state.me.username && a.apps.includes(appId) && a.username.toLowerCase().includes(q))
    .sort((a, b) => Number(!a.username.toLowerCase().startsWith(q)) - Number(!b.username.toLowerCase().startsWith(q)) || a.username.localeCompare(b.username))
    .slice(0, 8)
}

/** Attaches the picker to a textarea; `appIdOf()` is the mini program whose colleagues it offers, or null when off. */
export function attachMentionPicker (textarea, appIdOf) {
  const box = el('ul', { class: 'qr-picker mention-picker', role: 'listbox', id: 'mention-picker', 'aria-label': T.mentions.pickerLabel, hidden: true })
  const said = el('span', { class: 'visually-hidden', role: 'status', id: 'mention-picker-status' })
  let items = []
  let active = 0
  let token = null
  textarea.setAttribute('aria-autocomplete', 'list')
  textarea.setAttribute('aria-controls', [textarea.getAttribute('aria-controls'), 'mention-picker'].filter(Boolean).join(' '))

  function close () {
    if (token === null && box.hidden) return
    box.hidden = true
    items = []
    token = null
    said.textContent = ''
    textarea.removeAttribute('aria-activedescendant')
  }
  function draw () {
    box.replaceChildren(...(items.length === 0
      ? [el('li', { class: 'qr-empty', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', text: T.mentions.noColleague })]
      : items.map((a, i) => el('li', {
        role: 'option', id: 'mention-' + i, 'aria-selected': String(i === active), 'data-agent': a.username,
        onmousedown: (e) => { e.preventDefault(); choose(i) }
      }, el('strong', { text: '@' + a.username }), el('span', { text: T.availabilityOf[a.availability] || '' })))))
    box.hidden = false
    if (items.length > 0) textarea.setAttribute('aria-activedescendant', 'mention-' + active)
    else textarea.removeAttribute('aria-activedescendant')
  }
  function choose (i) {
    const a = items[i]
    if (a === undefined || token === null) return
    const v = textarea.value
    const insert = '@' + a.username + ' '
    textarea.value = v.slice(0, token.start) + insert + v.slice(token.end)
    const caret = token.start + insert.length
    textarea.setSelectionRange(caret, caret)
    close()
    textarea.dispatchEvent(new Event('input'))
  }
  function update () {
    const end = textarea.selectionStart
    const m = /(^|[^A-Za-z0-9._@-])@([A-Za-z0-9._@-]{0,64})$/.exec(textarea.value.slice(0, end))
    const appId = appIdOf()
    if (m === null || appId === null) { close(); return }
    const fresh = token === null
    token = { start: end - m[2].length - 1, end }
    items = colleaguesFor(appId, m[2])
    active = 0
    draw()
    const text = items.length === 0 ? T.mentions.noColleague : T.mentions.colleaguesFound(items.length)
    if (fresh || said.textContent !== text) said.textContent = text
  }
  textarea.addEventListener('input', update)
  textarea.addEventListener('blur', close)
  listboxKeys(textarea, { open: () => !box.hidden, size: () => items.length, active: () => active, select: (i) => { active = i; draw() }, choose: () => choose(active), close })
  return el('span', { class: 'mention-picker-wrap' }, box, said)
}
