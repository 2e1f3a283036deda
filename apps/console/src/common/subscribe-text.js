// How subscribe messages read in the timeline and the list: a message an agent sent, and the customer's choices and
// delivery results WeChat pushed. Titles and labels come from the templates the subscribe panel loaded.
import { T } from './i18n.js'

const templates = new Map()
const keyOf = (appId, templateId) => appId + '/' + templateId

/** The templates of a mini program, as GET …/subscriptions lists them; whether any was new here. */
export function remember (appId, list) {
  let learned = false
  for (const t of list) {
    if (!templates.has(keyOf(appId, t.templateId))) learned = true
    templates.set(keyOf(appId, t.templateId), t)
  }
  return learned
}

/** Whether an item's wording names templates (a subscribe message, a subscribe event). */
export const namesTemplates = (item) => item.type === 'subscribe' || Array.isArray(item.subscriptions)

const titleOf = (appId, templateId) => templates.get(keyOf(appId, templateId))?.title ?? templateId

function labelOf (appId, templateId, key) {
  const field = templates.get(keyOf(appId, templateId))?.fields.find((f) => f.key === key)
  return field ? field.label : key
}

function eventItem (item, entry) {
  const S = T.subscribe
  const title = titleOf(item.appId, entry.templateId)
  switch (item.event) {
    case 'subscribe_msg_popup_event': return entry.status === 'accept' ? S.accepted(title) : S.rejected(title)
    case 'subscribe_msg_change_event': return entry.status === 'reject' ? S.turnedOff(title) : S.turnedOn(title)
    default: return entry.errorCode === 0 ? S.delivered(title) : S.notDelivered(title, entry.errorStatus || String(entry.errorCode))
  }
}

/** What a subscribe message or subscribe event says, or null for anything else. */
export function describeSubscribe (item) {
  if (item.type === 'subscribe') {
    const fields = Object.entries(item.fields || {}).map(([key, value]) => `${labelOf(item.appId, item.templateId, key)}${T.subscribe.colon}${value}`)
    return [`${T.subscribe.tag} ${titleOf(item.appId, item.templateId)}`, ...fields, item.pagePath ? T.subscribe.opens(item.pagePath) : null].filter(Boolean).join('\n')
  }
  if (item.type === 'event' && Array.isArray(item.subscriptions)) return item.subscriptions.map((entry) => eventItem(item, entry)).join(T.subscribe.separator)
  return null
}
