// The open conversation's assignment and status: claim, hand over to a colleague who serves the mini program,
// release; open / pending / resolved; snooze.
import { api } from '../common/api.js'
import { convPath, el, fmtTime, isSnoozed, outcome } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { emit, isAdmin, on, state } from '../common/state.js'

const who = el('span', { class: 'assignee', id: 'assignee' })
const claimButton = el('button', { type: 'button', id: 'claim', text: T.claim, onclick: claim })
const releaseButton = el('button', { type: 'button', id: 'release', text: T.release, onclick: () => assign(null) })
const handSelect = el('select', { id: 'hand-to', 'aria-label': T.handTo })
const handButton = el('button', { type: 'button', id: 'hand-over', text: T.handOver, onclick: () => { if (handSelect.value) assign(handSelect.value) } })
const statusSelect = el('select', { id: 'status', 'aria-label': T.setStatus, onchange: () => setStatus(statusSelect.value) },
  ...['open', 'pending', 'resolved'].map((s) => el('option', { value: s, text: T.status[s] })))
const snoozeSelect = el('select', { id: 'snooze', 'aria-label': T.snooze, onchange: () => snooze(snoozeSelect.value) })
const notice = outcome({ id: 'bar-notice' })

export const bar = el('div', { class: 'conv-bar', role: 'group', 'aria-label': T.assignee },
  el('span', { class: 'field' }, el('span', { class: 'label', text: T.assignee }), who),
  claimButton, releaseButton, el('span', { class: 'field' }, handSelect, handButton),
  statusSelect, snoozeSelect, notice.node)

function snoozeChoices () {
  const tomorrow = new Date()
  tomorrow.setDate(tomorrow.getDate() + 1)
  tomorrow.setHours(9, 0, 0, 0)
  return [['', T.snoozeNone], [String(Date.now() + 3600_000), T.snooze1h], [String(tomorrow.getTime()), T.snoozeTomorrow], [String(Date.now() + 7 * 86400_000), T.snoozeWeek]]
}

export function render () {
  const c = state.conv
  if (c === null) return
  const mine = c.assignee === state.me.username
  who.textContent = c.assignee === null ? T.nobody : c.assignee === state.me.username ? T.assigneeMe(c.assignee) : c.assignee
  claimButton.hidden = c.assignee !== null && !(isAdmin() && !mine)
  releaseButton.hidden = c.assignee === null || !(mine || isAdmin())
  const canHand = c.assignee === null || mine || isAdmin()
  const colleagues = state.agents.filter((a) => a.apps.includes(c.appId) && a.username !== c.assignee && a.username !== state.me.username)
  handSelect.replaceChildren(el('option', { value: '', text: T.handTo + '…' }),
    ...colleagues.map((a) => el('option', { value: a.username, text: `${a.username} · ${T.availabilityOf[a.availability]}` })))
  handSelect.parentElement.hidden = !canHand || colleagues.length === 0
  statusSelect.value = c.status
  const snoozed = isSnoozed(c)
  snoozeSelect.replaceChildren(...(snoozed ? [el('option', { value: 'keep', text: T.snoozedUntil(fmtTime(c.snoozedUntil)) })] : []),
    ...snoozeChoices().map(([v, label]) => el('option', { value: v, text: label })))
  snoozeSelect.value = snoozed ? 'keep' : ''
}

async function change (action, json) {
  const { appId, openid } = state.current
  notice.clear()
  try {
    const body = await api(convPath(appId, openid, action), { method: 'POST', json, person: true })
    emit('conversation', { conversation: body.conversation, activities: body.activities })
  } catch (err) {
    if (err.status === 409 && err.body && err.body.code === 'KEFU_CONSOLE_ALREADY_ASSIGNED') {
      notice.error(err.body.assignee === null ? T.releasedMeanwhile : T.takenBy(err.body.assignee))
      // Show who has it now.
      const fresh = await api(convPath(appId, openid) + '?limit=1')
      emit('conversation', { conversation: fresh.conversation, activities: [] })
      return
    }
    notice.error(err.message)
  }
}

function claim () {
  const c = state.conv
  // An administrator takes over a colleague's conversation as a hand-over to themselves.
  if (c.assignee !== null) return change('assign', { to: state.me.username, from: c.assignee })
  return change('claim')
}
function assign (to) { return change('assign', { to, from: state.conv.assignee }) }
function setStatus (status) { return change('status', { status }) }
function snooze (value) {
  if (value === 'keep') return
  return change('snooze', { until: value === '' ? null : Number(value) })
}

/**
 * The command palette's actions on the open conversation: those its controls offer now, each running what the control
 * runs (claim, release, hand over to each colleague, a status, a snooze).
 */
export function actions () {
  const c = state.conv
  if (c === null || state.current === null) return []
  const A = T.paletteActions
  const shown = (node) => !node.hidden
  return [
    ...(shown(claimButton) ? [{ id: 'claim', label: T.keys.assignMe, run: claim }] : []),
    ...(shown(releaseButton) ? [{ id: 'release', label: A.release, run: () => assign(null) }] : []),
    ...(shown(handSelect.parentElement) ? [...handSelect.options].filter((o) => o.value !== '').map((o) => ({ id: 'hand-' + o.value, label: A.handTo(o.value), words: o.textContent, run: () => assign(o.value) })) : []),
    ...(c.status !== 'pending' ? [{ id: 'pending', label: A.pending, run: () => setStatus('pending') }] : []),
    ...(c.status !== 'open' ? [{ id: 'reopen', label: A.reopen, run: () => setStatus('open') }] : []),
    ...(isSnoozed(c) ? [{ id: 'unsnooze', label: A.unsnooze, run: () => snooze('') }] : []),
    ...snoozeChoices().slice(1).map(([v, label], i) => ({ id: 'snooze-' + i, label: A.snooze(label), run: () => snooze(v) }))
  ]
}

on('agents', render)
