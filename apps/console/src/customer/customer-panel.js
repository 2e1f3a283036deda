// The customer panel: openid, mini program, first contact, last entry scene, message counts, tags, a note about the
// customer, and what the business's own system knows (the optional profile lookup).
import { api } from '../common/api.js'
import { convPath, el, fmtDate, outcome } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { isCurrent, on, state } from '../common/state.js'
import { rememberProfile } from './identity.js'

const facts = el('dl', { class: 'facts' })
const tagsInput = el('input', { type: 'text', id: 'customer-tags', 'aria-label': T.tags, 'aria-describedby': 'tags-hint', maxlength: '700' })
const tagList = el('div', { class: 'tag-list' })
const noteInput = el('textarea', { id: 'customer-note', rows: '3', maxlength: '2000', 'aria-label': T.customerNote })
const L = T.look
const nameInput = el('input', { type: 'text', id: 'customer-name', autocomplete: 'off', placeholder: L.displayNameHint })
const nameStatus = outcome({ id: 'customer-name-status' })
const status = outcome({ id: 'customer-status' })
const profileBox = el('section', { class: 'profile', 'aria-live': 'polite' })
const closeButton = el('button', { type: 'button', class: 'panel-close', text: T.close, onclick: () => toggle(false) })

export const panel = el('aside', { class: 'customer-panel', id: 'customer-panel', 'aria-labelledby': 'customer-title' },
  el('div', { class: 'panel-head' }, el('h2', { id: 'customer-title', tabindex: '-1', text: T.customer }), closeButton),
  facts,
  el('label', { for: 'customer-tags', text: T.tags }), tagList, tagsInput, el('small', { id: 'tags-hint', class: 'hint', text: T.tagsHint }),
  el('label', { for: 'customer-note', text: T.customerNote }), noteInput,
  el('button', { type: 'button', id: 'save-customer', text: T.save, onclick: () => save({ tags: splitTags(tagsInput.value), note: noteInput.value }) }),
  status.node,
  el('label', { for: 'customer-name', text: L.displayName }),
  el('div', { class: 'name-row' }, nameInput, el('button', { type: 'button', id: 'save-name', text: T.save, 'aria-label': L.saveDisplayName, onclick: () => rename() })),
  nameStatus.node,
  profileBox)

/**
 * On phones the panel is a layer over the conversation, opened and closed by the agent. Opening it moves focus to its
 * heading (a field would bring up the phone's keyboard over it); closing it, back to the button that opened it.
 */
export function toggle (open) {
  const wasOpen = document.body.classList.contains('panel-open')
  document.body.classList.toggle('panel-open', open)
  if (open) document.getElementById('customer-title').focus()
  else if (wasOpen) document.getElementById('toggle-customer')?.focus()
}

const splitTags = (v) => [...new Set(v.split(/[,，]/).map((t) => t.trim()).filter((t) => t !== ''))]

// What PATCH …/customer takes (customer/routes.ts), said in words before it is sent.
const MAX_TAGS = 20
const MAX_TAG_LENGTH = 32
function tagsProblem (tags) {
  if (tags.length > MAX_TAGS) return T.tooManyTags(MAX_TAGS)
  const long = tags.find((t) => [...t].length > MAX_TAG_LENGTH)
  if (long !== undefined) return T.tagTooLong(long, MAX_TAG_LENGTH)
  if (tags.some((t) => /[\u0000-\u001f\u007f]/.test(t))) return T.customerInvalid
  return null
}

function fact (label, value) { return [el('dt', { text: label }), el('dd', { text: value })] }

function draw (c) {
  facts.replaceChildren(
    ...fact(T.openid, c.openid), ...fact(T.miniProgram, c.appId),
    ...fact(T.firstContact, c.firstContactAt === null ? '—' : fmtDate(c.firstContactAt)),
    ...fact(T.lastEntry, c.lastEntry === null ? T.noEntry : `${c.lastEntry.sessionFrom || '—'} · ${fmtDate(c.lastEntry.at)}`),
    ...fact(T.messageCount, T.messageCounts(c.messages.inbound, c.messages.outbound)))
  tagList.replaceChildren(...c.tags.map((t) => el('span', { class: 'tag', text: t })))
  if (document.activeElement !== tagsInput) tagsInput.value = c.tags.join(', ')
  if (document.activeElement !== noteInput) noteInput.value = c.note || ''
  if (document.activeElement !== nameInput) nameInput.value = c.displayName || ''
}

async function rename () {
  if (state.current === null) return
  const { appId, openid } = state.current
  const name = nameInput.value.trim()
  if ([...name].length > 64) { nameStatus.error(L.displayNameTooLong(64)); return }
  try {
    const body = await api(convPath(appId, openid, 'name'), { method: 'PUT', json: { displayName: name }, person: true })
    nameInput.value = body.displayName || ''
    nameStatus.ok(T.saved)
  } catch (err) {
    nameStatus.error(err.status === 400 ? L.displayNameInvalid : err.message)
  }
}
nameInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); rename() }
})

function drawProfile (result) {
  profileBox.replaceChildren(el('h3', { text: T.profile }))
  if (result === null) { profileBox.append(el('p', { class: 'hint', text: T.profileLoading })); return }
  if (result.status === 'none') { profileBox.append(el('p', { class: 'hint', text: T.profileNone })); return }
  if (result.status !== 'ok') { profileBox.append(el('p', { class: 'hint', text: T.profileUnavailable })); return }
  const p = result.profile
  if (p.name) profileBox.append(el('p', { class: 'profile-name', text: p.name }))
  if (state.current !== null) rememberProfile(state.current.appId, state.current.openid, p)
  profileBox.append(el('dl', { class: 'facts' }, ...p.fields.flatMap((f) => fact(f.label, f.value))))
  if (p.url) profileBox.append(el('a', { href: p.url, target: '_blank', rel: 'noopener noreferrer', text: T.openProfile }))
}

/** Draws the panel again from the server (counts, tags, note), leaving the outcome line and the profile as they are. */
async function refresh (appId, openid) {
  if (!isCurrent(appId, openid)) return
  const body = await api(convPath(appId, openid, 'customer'))
  if (isCurrent(appId, openid)) draw(body.customer)
}

export async function load (appId, openid, person) {
  status.clear()
  nameStatus.clear()
  const body = await api(convPath(appId, openid, 'customer'), { person })
  if (!isCurrent(appId, openid)) return
  draw(body.customer)
  profileBox.hidden = !body.customer.profileLookup
  if (!body.customer.profileLookup) return
  drawProfile(null)
  const result = await api(convPath(appId, openid, 'profile')).catch(() => ({ status: 'unavailable' }))
  if (isCurrent(appId, openid)) drawProfile(result)
}

async function save (changes) {
  if (state.current === null) return
  const { appId, openid } = state.current
  const problem = changes.tags === undefined ? null : tagsProblem(changes.tags)
  if (problem !== null) { status.error(problem); return }
  try {
    const body = await api(convPath(appId, openid, 'customer'), { method: 'PATCH', json: changes, person: true })
    draw(body.customer)
    status.ok(T.saved)
  } catch (err) {
    status.error(err.status === 400 && /^body\//.test(err.message) ? T.customerInvalid : err.message)
  }
}

tagsInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); save({ tags: splitTags(tagsInput.value) }) }
})
panel.addEventListener('keydown', (e) => { if (e.key === 'Escape' && document.body.classList.contains('panel-open')) { e.preventDefault(); toggle(false) } })

// The counts follow what happens in the open conversation: the customer writes, someone replies.
let refreshTimer = null
function refreshSoon ({ appId, openid }) {
  if (!isCurrent(appId, openid)) return
  clearTimeout(refreshTimer)
  refreshTimer = setTimeout(() => { refresh(appId, openid).catch(() => {}) }, 300)
}
on('live-message', refreshSoon)
on('live-outbound', refreshSoon)
on('sent', refreshSoon)

// A colleague changed the tags or the note: show it (without overwriting what the agent is typing).
on('conversation-changed', (change) => {
  const c = change.conversation
  if (isCurrent(c.appId, c.openid) && change.changed && change.changed.includes('customer')) refresh(c.appId, c.openid).catch(() => {})
})
