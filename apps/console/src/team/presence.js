// Availability: the agent's own (online, away, offline; only online agents get conversations automatically) and
// their colleagues', kept current live.
import { api } from '../common/api.js'
import { el } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { emit, on, state } from '../common/state.js'

const select = el('select', { id: 'availability', 'aria-label': T.availability, onchange: () => set(select.value) },
  ...['online', 'away', 'offline'].map((a) => el('option', { value: a, text: T.availabilityOf[a] })))
const list = el('ul', { class: 'colleagues', id: 'colleagues' })
export const presence = el('span', { class: 'presence' },
  select,
  el('details', { class: 'menu' }, el('summary', { text: T.colleagues }), el('div', { class: 'menu-body' }, list)))

export function show () {
  select.value = state.me.availability
  select.dataset.availability = state.me.availability
  const colleagues = state.agents.filter((a) => a.username !== state.me.username && a.apps.length > 0)
  // An empty menu says why, and who can change it.
  list.replaceChildren(...(colleagues.length === 0
    ? [el('li', { class: 'hint', id: 'no-colleagues', text: T.noColleagues })]
    : colleagues.map((a) => el('li', { 'data-agent': a.username, 'data-availability': a.availability }, el('span', { class: 'dot', 'aria-hidden': 'true' }), `${a.username} · ${T.availabilityOf[a.availability]}`))))
}

async function set (availability) {
  const body = await api('/api/me/availability', { method: 'PUT', json: { availability }, person: true })
  state.me.availability = body.me.availability
  show()
}

export async function loadAgents () {
  state.agents = (await api('/api/agents')).agents
  show()
  emit('agents', state.agents)
}

// A colleague (or this agent in another tab) changed availability.
on('agent-changed', (change) => {
  if (change.username === state.me.username) state.me.availability = change.availability
  const found = state.agents.find((a) => a.username === change.username)
  if (found) found.availability = change.availability
  else if (change.apps.length > 0) state.agents.push({ username: change.username, role: 'agent', availability: change.availability, apps: change.apps })
  show()
  emit('agents', state.agents)
})
