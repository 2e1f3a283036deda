// A conversation's timeline: the customer's messages, replies, and (for agents only, set apart) internal notes and
// every change of assignment, status and snooze.
import { el, fmtTime, preview } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { failureNode } from './delivery.js'
import { noteText } from '../mentions/note-text.js'

export const timeline = el('section', { class: 'timeline', 'aria-live': 'polite', 'aria-labelledby': 'chat-title', tabindex: '0' })
const seen = new Set()
/** The items shown, by key: drawn again when what their wording depends on arrives later (subscribe templates). */
const shown = new Map()

const statusName = (s) => T.status[s] || s

// Whether the newest message stays in view: so after opening a conversation, until the agent scrolls up. Pictures
// load after they are placed (lazily, from kefu's kept copies) and push the newest message down: a pinned timeline
// follows the height they add. Only a move up unpins it: a picture that grew before its load event was handled leaves
// the timeline short of its end for a moment, which is not the agent scrolling away.
let pinned = true
let lastTop = 0
const fromEnd = () => timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight
timeline.addEventListener('scroll', () => {
  if (timeline.scrollTop < lastTop - 1) pinned = fromEnd() < 80
  else if (fromEnd() < 80) pinned = true
  lastTop = timeline.scrollTop
})
timeline.addEventListener('load', () => { if (pinned) timeline.scrollTop = timeline.scrollHeight }, true)

/** The sentence an internal change reads as. */
export function activityText (item) {
  const a = item.agent || ''
  switch (item.type) {
    case 'assignment':
      if (item.cause === 'auto') return T.actAuto(item.to)
      if (item.cause === 'customer') return T.actUnavailable(item.from)
      if (item.to === null) return T.actReleased(a, item.from)
      if (item.from === null && item.to === a) return T.actClaimed(a)
      return T.actHanded(a, item.from, item.to)
    case 'status':
      return item.cause === 'customer' ? T.actReopened(statusName(item.from)) : T.actStatus(a, statusName(item.to))
    case 'snooze':
      if (item.cause === 'customer') return T.actWoken
      return item.to === null ? T.actUnsnoozed(a) : T.actSnoozed(a, fmtTime(Date.parse(item.to)))
    default:
      return item.type
  }
}

function internalNode (item) {
  if (item.type === 'note') {
    return el('div', { class: 'msg internal note', 'data-key': item.key, role: 'note', 'aria-label': T.internalNote },
      el('div', { class: 'note-head', text: `${T.internalNote} · ${item.agent} · ${fmtTime(item.at)}` }),
      noteText(item.text || '', item.appId))
  }
  return el('div', { class: 'msg internal change', 'data-key': item.key, 'data-type': item.type },
    el('span', { text: `${activityText(item)} · ${fmtTime(item.at)}` }))
}

function messageNode (item) {
  if (item.direction === 'internal') return internalNode(item)
  const cls = ['msg', item.direction, item.type === 'event' ? 'event' : '', item.status === 'failed' ? 'msg-failed' : ''].filter(Boolean).join(' ')
  const node = el('div', { class: cls, 'data-key': item.key, 'data-status': item.status })
  switch (item.type) {
    case 'text': node.append(el('span', { class: 'text', text: item.text || '' })); break
    case 'image':
      // A picture kefu could not keep (WeChat no longer has it, or refused it for good) says why instead.
      if (item.media && item.media.status === 'failed') node.append(el('span', { class: 'media-failed', text: T.history.mediaFailed(item.media.error) }))
      else node.append(item.mediaId ? el('img', { src: `/api/media/${item.appId}/${encodeURIComponent(item.mediaId)}`, alt: T.image, loading: 'lazy' }) : T.image)
      break
    case 'miniprogrampage':
      node.append(el('div', { class: 'card-msg' }, el('strong', { text: item.title || T.card }),
        item.thumbMediaId ? el('img', { src: `/api/media/${item.appId}/${encodeURIComponent(item.thumbMediaId)}`, alt: '', loading: 'lazy' }) : null,
        el('small', { text: item.pagePath || '' })))
      break
    case 'link':
      node.append(el('div', { class: 'card-msg' }, el('strong', { text: item.title || '' }), el('span', { text: item.description || '' }), el('small', { text: item.url || '' })))
      break
    default: node.append(el('span', { text: preview(item) }))
  }
  const meta = [fmtTime(item.at)]
  if (item.direction === 'out') meta.push((item.agent ? T.by + ' ' + item.agent + ' · ' : '') + (item.status === 'sent' ? T.sent : item.status === 'failed' ? T.failed : T.sending))
  if (item.type !== 'event') node.append(el('div', { class: 'meta', text: meta.join(' · ') }))
  if (item.status === 'failed') node.append(failureNode(item, upsertItem))
  return node
}

export function clear () {
  pinned = true
  timeline.replaceChildren()
  seen.clear()
  shown.clear()
}

/** Draws again, in place, the items `match` accepts. */
export function redraw (match) {
  for (const item of shown.values()) if (match(item)) upsertItem(item)
}

/** Adds an item, or redraws it in place when it is already there (a reply going from sending to sent). */
export function upsertItem (item) {
  const node = messageNode(item)
  shown.set(item.key, item)
  if (seen.has(item.key)) {
    const existing = timeline.querySelector(`[data-key="${item.key}"]`)
    if (existing) { existing.replaceWith(node); return }
  }
  seen.add(item.key)
  const stick = pinned || fromEnd() < 80
  timeline.append(node)
  if (stick) scrollToEnd()
}

export function scrollToEnd () {
  pinned = true
  timeline.scrollTop = timeline.scrollHeight
}

/** Brings one message into view and marks it (a search result opened here). */
export function highlight (key) {
  const node = timeline.querySelector(`[data-key="${key}"]`)
  if (!node) { scrollToEnd(); return }
  for (const old of timeline.querySelectorAll('.msg.found')) old.classList.remove('found')
  pinned = false
  node.classList.add('found')
  node.setAttribute('tabindex', '-1')
  node.scrollIntoView({ block: 'center' })
  node.focus({ preventScroll: true })
}

/**
 * Puts "New messages" above the first of the customer's `unread` newest messages (events are not counted as unread,
 * as ingest counts them) when something read comes before them, and shows the newest message if the separator stays
 * in view with it, else the separator at the top. False when there is no separator to show.
 */
export function markUnread (unread) {
  for (const old of timeline.querySelectorAll('.unread-separator')) old.remove()
  const inbound = [...timeline.querySelectorAll('.msg.in:not(.event)')]
  // Nothing read before them (a new conversation): the newest message is what to show.
  if (!(unread > 0) || inbound.length <= unread) return false
  const separator = el('div', { class: 'unread-separator', role: 'separator', 'aria-label': T.keys.newMessages }, el('span', { text: T.keys.newMessages }))
  inbound[inbound.length - unread].before(separator)
  scrollToEnd()
  if (separator.getBoundingClientRect().top < timeline.getBoundingClientRect().top) {
    pinned = false
    separator.scrollIntoView({ block: 'start' })
  }
  return true
}
