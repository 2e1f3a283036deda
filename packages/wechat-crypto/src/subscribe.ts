import { WechatCryptoError } from './errors.js'

/**
 * The three subscribe-message (订阅消息) events WeChat pushes to the message-push URL, and the element that holds
 * their `List` in XML. https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/subscribe-message.html
 */
export const SUBSCRIBE_EVENTS = {
  subscribe_msg_popup_event: 'SubscribeMsgPopupEvent',
  subscribe_msg_change_event: 'SubscribeMsgChangeEvent',
  subscribe_msg_sent_event: 'SubscribeMsgSentEvent'
} as const

export type SubscribeEventName = keyof typeof SUBSCRIBE_EVENTS

/** The customer's choice for one template: in the popup (accept or reject), or in their settings (reject). */
export interface SubscribeDecision {
  templateId: string
  status: 'accept' | 'reject'
  /** PopupScene as WeChat wrote it (popup events only), else null. */
  popupScene: string | null
}

/** The delivery result of one subscribe message. */
export interface SubscribeDelivery {
  templateId: string
  /** WeChat's MsgID, the exact decimal string (64-bit). */
  msgId: string
  /** 0 when delivered. */
  errorCode: number
  /** `success`, `failed:user block`, `failed:system failed`, … */
  errorStatus: string
}

/** A popup can ask for 3 templates; a settings change lists the templates switched off. Anything longer is not WeChat. */
const MAX_ITEMS = 100
const DECIMAL = /^\d{1,20}$/
const ERROR_CODE = /^-?\d{1,9}$/

function bad (message: string): never {
  throw new WechatCryptoError('BAD_MESSAGE', message)
}

export function isSubscribeEvent (event: string): event is SubscribeEventName {
  return Object.hasOwn(SUBSCRIBE_EVENTS, event)
}

function text (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value.toFixed(0)
  return undefined
}

/**
 * The items of the event, whatever the shape: in XML repeated `<List>` elements under `<SubscribeMsgPopupEvent>`
 * (one `<List>` parses as an object, several as an array); in JSON a `List` array, or a bare object when WeChat sends
 * one item (it does, against its own documentation).
 */
function listItems (fields: Record<string, unknown>, event: SubscribeEventName): Array<Record<string, unknown>> {
  let list = fields.List
  if (list === undefined) {
    const holder = fields[SUBSCRIBE_EVENTS[event]]
    if (holder !== null && typeof holder === 'object' && !Array.isArray(holder)) list = (holder as Record<string, unknown>).List
  }
  if (list === undefined) bad(`${event} has no List (nor ${SUBSCRIBE_EVENTS[event]}.List)`)
  const items = Array.isArray(list) ? list : [list]
  if (items.length === 0) bad(`${event} List is empty`)
  if (items.length > MAX_ITEMS) bad(`${event} List has ${items.length} items, more than ${MAX_ITEMS}`)
  return items.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) bad(`${event} List[${i}] is not an object`)
    return item as Record<string, unknown>
  })
}

function templateIdOf (item: Record<string, unknown>, at: string): string {
  const id = text(item.TemplateId)
  if (id === undefined || id === '') bad(`${at}.TemplateId is missing`)
  if (id.length > 128 || /\s/.test(id)) bad(`${at}.TemplateId is not a template id`)
  return id
}

/** The decisions of a subscribe_msg_popup_event or subscribe_msg_change_event. */
export function parseSubscribeDecisions (fields: Record<string, unknown>, event: 'subscribe_msg_popup_event' | 'subscribe_msg_change_event'): SubscribeDecision[] {
  return listItems(fields, event).map((item, i) => {
    const at = `${event} List[${i}]`
    const templateId = templateIdOf(item, at)
    const status = text(item.SubscribeStatusString)
    if (status !== 'accept' && status !== 'reject') bad(`${at}.SubscribeStatusString must be accept or reject, got ${JSON.stringify(status ?? item.SubscribeStatusString ?? null)}`)
    let popupScene: string | null = null
    if (event === 'subscribe_msg_popup_event' && item.PopupScene !== undefined) {
      const scene = text(item.PopupScene)
      if (scene === undefined || !/^\d{1,9}$/.test(scene)) bad(`${at}.PopupScene must be a decimal integer`)
      popupScene = scene
    }
    return { templateId, status, popupScene }
  })
}

/** The delivery results of a subscribe_msg_sent_event. */
export function parseSubscribeDeliveries (fields: Record<string, unknown>): SubscribeDelivery[] {
  return listItems(fields, 'subscribe_msg_sent_event').map((item, i) => {
    const at = `subscribe_msg_sent_event List[${i}]`
    const templateId = templateIdOf(item, at)
    const msgId = text(item.MsgID)
    if (msgId === undefined || !DECIMAL.test(msgId)) bad(`${at}.MsgID must be a decimal integer`)
    const code = text(item.ErrorCode)
    if (code === undefined || !ERROR_CODE.test(code)) bad(`${at}.ErrorCode must be an integer`)
    const errorStatus = item.ErrorStatus === undefined ? '' : text(item.ErrorStatus)
    if (errorStatus === undefined) bad(`${at}.ErrorStatus must be a string`)
    return { templateId, msgId, errorCode: Number(code), errorStatus }
  })
}
