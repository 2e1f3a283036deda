// The team's time zone (GET/PUT /api/team/settings): reports count days in it. The console's own times are the
// browser's; the header says which zone that is, and the team's when it differs.
import { api } from '../common/api.js'
import { el, outcome } from '../common/dom.js'
import { T } from '../common/i18n.js'

const L = T.look
export const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone
let teamZone = null

/** The header's note: which zone the console's times are in (and the reports', when another). */
export const zoneNote = el('span', { id: 'time-zone', class: 'time-zone', text: L.timesIn(browserZone) })
zoneNote.title = zoneNote.textContent

/** The note shrinks (with "…") rather than wrap the header: its whole text is its title too. */
function drawNote () {
  zoneNote.textContent = teamZone === null || teamZone === browserZone ? L.timesIn(browserZone) : L.timesInReports(browserZone, teamZone)
  zoneNote.title = zoneNote.textContent
}

export async function loadTeamZone () {
  teamZone = (await api('/api/team/settings')).settings.timeZone
  drawNote()
}

/** The administration dialog's section: the team's time zone, an IANA name checked by the browser before it is sent. */
export function timeZoneSection () {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
  const input = el('input', { id: 'team-time-zone', list: 'time-zones', value: teamZone || 'Asia/Shanghai', autocomplete: 'off' })
  const status = outcome({ id: 'team-time-zone-status' })
  const save = async () => {
    try {
      const body = await api('/api/team/settings', { method: 'PUT', person: true, json: { timeZone: input.value.trim() } })
      teamZone = body.settings.timeZone
      input.value = teamZone
      drawNote()
      status.ok(T.saved)
    } catch (err) {
      status.error(err.status === 400 ? L.badTimeZone(input.value.trim()) : err.message)
    }
  }
  return el('section', {}, el('h3', { text: L.timeZone }),
    el('p', { class: 'hint', text: L.timeZoneHint }),
    el('label', { for: 'team-time-zone', text: L.timeZone }),
    el('datalist', { id: 'time-zones' }, ...zones.map((z) => el('option', { value: z }))),
    el('div', { class: 'name-row' }, input, el('button', { type: 'button', id: 'save-time-zone', text: T.save, onclick: save })),
    status.node)
}
