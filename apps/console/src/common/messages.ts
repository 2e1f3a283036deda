import type { CustomerMessage as InboundRow, OutboundMessage as OutboundRow, Prisma } from '@kefu/db'

type ActivityRow = Prisma.ConversationActivityGetPayload<object>

/** One item of a conversation's timeline, as the console page draws it. */
export interface TimelineItem {
  /** `in-<id>`, `out-<id>` or `act-<id>`: unique across the three tables. */
  key: string
  /** in: the customer; out: a reply sent to WeChat; internal: for agents only (notes, assignment and status changes). */
  direction: 'in' | 'out' | 'internal'
  id: string
  appId: string
  openid: string
  /** Milliseconds since the epoch: WeChat's CreateTime for inbound, creation for outbound. */
  at: number
  /** text | image | miniprogrampage | link | event | any other MsgType WeChat sends; internal: note | assignment | status | snooze */
  type: string
  text?: string
  mediaId?: string
  title?: string
  description?: string
  url?: string
  pagePath?: string
  appIdOfCard?: string
  thumbMediaId?: string
  event?: string
  sessionFrom?: string
  /** Inbound subscribe events: the customer's choice per template (popup, change) or a delivery result (sent). */
  subscriptions?: SubscribeEventItem[]
  /** Outbound subscribe messages: the template, its field values, the page (pagePath) and WeChat's MsgID once sent. */
  templateId?: string
  fields?: Record<string, string>
  msgId?: string
  /** Outbound only. */
  status?: 'sending' | 'sent' | 'failed'
  errcode?: number
  errmsg?: string
  agent?: string
  /** Internal only: who or what made the change (an agent, the customer's message, automatic assignment). */
  cause?: 'agent' | 'customer' | 'auto'
  /** Internal only: the value before and after (usernames, statuses, snooze times as ISO text); null for none. */
  from?: string | null
  to?: string | null
}

/** One entry of a subscribe event's List, as msg_info keeps it. */
export interface SubscribeEventItem {
  templateId: string
  /** accept | reject (popup and change events) */
  status?: string
  popupScene?: string
  /** sent events: the MsgID of the subscribe message, and how its delivery went (0: delivered). */
  msgId?: string
  errorCode?: number
  errorStatus?: string
}

function subscribeItems (list: unknown): SubscribeEventItem[] | undefined {
  if (!Array.isArray(list)) return undefined
  return list.filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object').map((e) => {
    const item: SubscribeEventItem = { templateId: str(e.template_id) ?? '' }
    if (typeof e.status === 'string') item.status = e.status
    if (typeof e.popup_scene === 'string') item.popupScene = e.popup_scene
    if (typeof e.msg_id === 'string') item.msgId = e.msg_id
    if (typeof e.error_code === 'number') item.errorCode = e.error_code
    if (typeof e.error_status === 'string') item.errorStatus = e.error_status
    return item
  })
}

function str (value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

export function inboundItem (row: InboundRow): TimelineItem {
  let info: Record<string, unknown> = {}
  try {
    info = JSON.parse(row.msgInfo) as Record<string, unknown>
  } catch {}
  const item: TimelineItem = {
    key: `in-${row.id}`,
    direction: 'in',
    id: row.id.toString(),
    appId: row.appId,
    openid: row.openid,
    at: Number(row.wechatCreateTime) * 1000,
    type: row.msgType
  }
  switch (row.msgType) {
    case 'text': item.text = str(info.text); break
    case 'image': item.mediaId = str(info.media_id); break
    case 'miniprogrampage':
      item.title = str(info.title)
      item.pagePath = str(info.page_path)
      item.appIdOfCard = str(info.app_id)
      item.thumbMediaId = str(info.thumb_media_id)
      break
    case 'event': {
      item.event = row.event ?? undefined
      item.sessionFrom = str(info.session_from)
      const subscriptions = subscribeItems(info.list)
      if (subscriptions !== undefined) item.subscriptions = subscriptions
      break
    }
    default:
      item.text = str(info.Content)
  }
  return item
}

export function outboundItem (row: OutboundRow): TimelineItem {
  let content: Record<string, unknown> = {}
  try {
    content = JSON.parse(row.content) as Record<string, unknown>
  } catch {}
  const body = (content[row.msgType] ?? {}) as Record<string, unknown>
  const item: TimelineItem = {
    key: `out-${row.id}`,
    direction: 'out',
    id: row.id.toString(),
    appId: row.appId,
    openid: row.openid,
    at: row.createdAt.getTime(),
    type: row.msgType,
    status: row.status as TimelineItem['status'],
    agent: row.agent
  }
  if (row.errcode !== null) item.errcode = row.errcode
  if (row.errmsg !== null) item.errmsg = row.errmsg
  switch (row.msgType) {
    case 'text': item.text = str(body.content); break
    case 'image': item.mediaId = str(body.media_id); break
    case 'link':
      item.title = str(body.title)
      item.description = str(body.description)
      item.url = str(body.url)
      break
    case 'miniprogrampage':
      item.title = str(body.title)
      item.pagePath = str(body.pagepath)
      item.thumbMediaId = str(body.thumb_media_id)
      break
    case 'subscribe': {
      item.templateId = str(body.template_id)
      const data = (body.data ?? {}) as Record<string, { value?: unknown }>
      item.fields = Object.fromEntries(Object.entries(data).map(([key, field]) => [key, str(field?.value) ?? '']))
      if (typeof body.page === 'string') item.pagePath = body.page
      if (typeof content.msgid === 'string') item.msgId = content.msgid
      break
    }
  }
  return item
}

/** A note or a change of assignment, status or snooze, as the timeline shows it (for agents only). */
export function activityItem (row: ActivityRow): TimelineItem {
  const item: TimelineItem = {
    key: `act-${row.id}`,
    direction: 'internal',
    id: row.id.toString(),
    appId: row.appId,
    openid: row.openid,
    at: row.createdAt.getTime(),
    type: row.kind,
    cause: row.cause as TimelineItem['cause']
  }
  if (row.actor !== null) item.agent = row.actor
  if (row.kind === 'note') item.text = row.text ?? ''
  else {
    item.from = row.fromValue
    item.to = row.toValue
  }
  return item
}
