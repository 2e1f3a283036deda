// Administration (administrators only): which agents serve which of the administrator's mini programs, roles, and
// automatic assignment per mini program. Shared quick replies are managed in the quick-replies dialog.
import { api } from '../common/api.js'
import { el, outcome } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { state } from '../common/state.js'
import { timeZoneSection } from './time-zone.js'

const dialog = el('dialog', { class: 'dialog', id: 'admin-dialog', 'aria-labelledby': 'admin-title' })

async function saving (status, fn) {
  try { await fn(); status.ok(T.saved) } catch (err) { status.error(err.message) }
}

function agentRow (agent) {
  const boxes = state.apps.map((appId) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', value: appId, checked: agent.apps.includes(appId) }), ' ', appId))
  const role = el('select', { 'aria-label': T.role.agent + ' / ' + T.role.admin }, ...['agent', 'admin'].map((r) => el('option', { value: r, text: T.role[r] })))
  role.value = agent.role
  const status = outcome()
  return el('tr', { 'data-agent': agent.username },
    el('th', { scope: 'row', text: agent.username }),
    el('td', {}, ...boxes),
    el('td', {}, role),
    el('td', {}, el('button', {
      type: 'button',
      text: T.save,
      onclick: () => saving(status, () => api('/api/agents/' + encodeURIComponent(agent.username), {
        method: 'PUT', person: true, json: { apps: boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value), role: role.value }
      }))
    }), status.node))
}

function settingsRow (appId, settings) {
  const mode = el('select', { 'aria-label': `${T.autoAssign} · ${appId}` }, ...['off', 'round_robin'].map((m) => el('option', { value: m, text: T.autoAssignOf[m] })))
  mode.value = settings.autoAssign
  const cap = el('input', { type: 'number', min: '1', max: '1000', value: String(settings.maxOpenPerAgent), 'aria-label': `${T.maxOpen} · ${appId}` })
  const status = outcome()
  return el('tr', { 'data-app': appId }, el('th', { scope: 'row', text: appId }), el('td', {}, mode), el('td', {}, cap),
    el('td', {}, el('button', {
      type: 'button',
      text: T.save,
      onclick: () => saving(status, () => api(`/api/apps/${appId}/settings`, { method: 'PUT', person: true, json: { autoAssign: mode.value, maxOpenPerAgent: Number(cap.value) } }))
    }), status.node))
}

async function fill () {
  const agents = (await api('/api/agents')).agents
  const settings = await Promise.all(state.apps.map((a) => api(`/api/apps/${a}/settings`).then((b) => b.settings)))
  const newName = el('input', { type: 'text', 'aria-label': T.addAgent, placeholder: T.username, pattern: '[A-Za-z0-9][A-Za-z0-9._@-]{0,63}' })
  const body = el('tbody', {}, ...agents.map(agentRow))
  dialog.replaceChildren(
    el('h2', { id: 'admin-title', text: T.admin }),
    el('section', {}, el('h3', { text: T.agents }),
      el('table', {}, body),
      el('form', {
        class: 'row',
        onsubmit: (e) => {
          e.preventDefault()
          if (newName.value.trim() === '') return
          body.append(agentRow({ username: newName.value.trim(), role: 'agent', availability: 'offline', apps: [] }))
          newName.value = ''
          body.lastChild.querySelector('input').focus()
        }
      }, newName, el('button', { type: 'submit', text: T.add }))),
    el('section', {}, el('h3', { text: T.autoAssign }),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}), el('th', { text: T.autoAssign }), el('th', { text: T.maxOpen }), el('th', {}))),
        el('tbody', {}, ...state.apps.map((a, i) => settingsRow(a, settings[i]))))),
    timeZoneSection(),
    el('form', { method: 'dialog' }, el('button', { type: 'submit', text: T.close })))
}

export async function openAdmin () {
  if (!dialog.isConnected) document.body.append(dialog)
  await fill()
  dialog.showModal()
}
