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
    case 'event':
      item.event = row.event ?? undefined
      item.sessionFrom = str(info.session_from)
      break
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
