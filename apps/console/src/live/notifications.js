// Notifications: the unread count (conversations that are mine or unassigned) in the tab title; while the tab is
// hidden, a browser notification and an optional sound for a new message in such a conversation. Each agent turns
// them on or off (kept on the server, so the choice follows them).
import { api } from '../common/api.js'
import { el, shortId } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { emit, on, state } from '../common/state.js'

const baseTitle = document.title
const desktop = el('input', { type: 'checkbox', id: 'notify-desktop' })
const sound = el('input', { type: 'checkbox', id: 'notify-sound' })
const hint = el('p', { class: 'hint', role: 'status', 'aria-live': 'polite' })
export const settings = el('details', { class: 'menu', id: 'notification-settings' },
  el('summary', { text: T.notifications }),
  el('div', { class: 'menu-body' },
    el('label', {}, desktop, ' ', T.notifyDesktop),
    el('label', {}, sound, ' ', T.notifySound),
    hint))

export function show () {
  desktop.checked = state.me.notifications.desktop
  sound.checked = state.me.notifications.sound
}

async function savePrefs () {
  if (desktop.checked && 'Notification' in window && Notification.permission === 'default') await Notification.requestPermission().catch(() => {})
  hint.textContent = desktop.checked && 'Notification' in window && Notification.permission === 'denied' ? T.notifyDenied : ''
  try {
    const body = await api('/api/me/notifications', { method: 'PUT', json: { desktop: desktop.checked, sound: sound.checked }, person: true })
    state.me.notifications = body.me.notifications ?? { desktop: body.me.notifyDesktop, sound: body.me.notifySound }
  } catch (err) { hint.textContent = err.message }
}
desktop.addEventListener('change', savePrefs)
sound.addEventListener('change', savePrefs)

/** Unread messages of conversations that are mine or unassigned, in the title: "(3) 客服工作台". */
export function updateTitle () {
  const n = state.counts.unread
  document.title = n > 0 ? `(${n}) ${baseTitle}` : baseTitle
}
on('counts', updateTitle)

let audio = null
function beep () {
  try {
    audio ??= new AudioContext()
    const osc = audio.createOscillator()
    const gain = audio.createGain()
    osc.frequency.value = 880
    gain.gain.setValueAtTime(0.15, audio.currentTime)
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4)
    osc.connect(gain).connect(audio.destination)
    osc.start()
    osc.stop(audio.currentTime + 0.4)
  } catch {}
}

/** A customer's message arrived live: tell the agent if the tab is hidden and the conversation is theirs or nobody's. */
export function onCustomerMessage (item, conversation) {
  if (item.type === 'event' || !document.hidden) return
  const assignee = conversation ? conversation.assignee : null
  if (assignee !== null && assignee !== state.me.username) return
  emit('notified', item)
  if (state.me.notifications.sound) beep()
  if (!state.me.notifications.desktop || !('Notification' in window) || Notification.permission !== 'granted') return
  const n = new Notification(T.newMessage(shortId(item.openid)), { body: item.text || T.image, tag: `${item.appId}/${item.openid}`, lang: document.documentElement.lang })
  n.onclick = () => { window.focus(); emit('open', { appId: item.appId, openid: item.openid, person: true }); n.close() }
}
