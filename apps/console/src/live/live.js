// The live stream (Server-Sent Events): pushes, reply statuses, colleagues' changes and availability, handed to the
// other modules as hub events. Never activity: it does not keep the sign-in alive.
import { emit } from '../common/state.js'
import { T } from '../common/i18n.js'

let source = null
let statusNode = null
let connectedOnce = false
// The ids of the customer messages this page was handed, newest last: a message the stream sends again (the
// catch-up after a reconnect looks a few seconds behind where it resumed) is handed on once.
const handed = new Set()
const HANDED_MAX = 5000
function firstTime (id) {
  if (handed.has(id)) return false
  handed.add(id)
  if (handed.size > HANDED_MAX) handed.delete(handed.values().next().value)
  return true
}

export function connect (status) {
  statusNode = status
  source = new EventSource('/api/events')
  source.addEventListener('open', () => {
    statusNode.textContent = T.live
    statusNode.classList.remove('offline')
    // Back after a break: what changed meanwhile besides messages (which the stream replays) is read again.
    if (connectedOnce) emit('reconnected')
    connectedOnce = true
  })
  source.addEventListener('error', () => { if (source) { statusNode.textContent = T.offline; statusNode.classList.add('offline') } })
  const relay = (event, name) => source.addEventListener(event, (e) => emit(name, JSON.parse(e.data)))
  source.addEventListener('message', (e) => {
    const data = JSON.parse(e.data)
    if (firstTime(data.id)) emit('live-message', data)
  })
  relay('outbound', 'live-outbound')
  relay('conversation', 'conversation-changed')
  relay('agent', 'agent-changed')
  relay('quick-replies', 'quick-replies')
  relay('mention', 'mention')
  source.addEventListener('resync', () => emit('reconnected'))
  // The agent's mini programs changed: start over with the new list.
  source.addEventListener('apps', () => { close(); emit('restart') })
  // The stream checks the sign-in without extending it; it ended (idle everywhere, the absolute limit, a sign-out).
  source.addEventListener('ended', () => emit('ended'))
  // A newer tab of this agent took over (an agent has a few live streams at most): this one stays quiet, and does
  // not reconnect, which would only close another tab's.
  source.addEventListener('replaced', () => { close(); statusNode.textContent = T.replaced; statusNode.classList.add('offline') })
  source.addEventListener('unavailable', () => { close(); statusNode.textContent = T.offline; setTimeout(() => connect(statusNode), 3000) })
}

export function close () {
  if (source) source.close()
  source = null
}
