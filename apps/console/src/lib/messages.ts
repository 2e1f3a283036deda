import type { CustomerMessage as InboundRow, OutboundMessage as OutboundRow } from '@kefu/db'

/** One item of a conversation's timeline, as the console page draws it. */
export interface TimelineItem {
  /** `in-<id>` or `out-<id>`: unique across both tables. */
  key: string
  direction: 'in' | 'out'
  id: string
  appId: string
  openid: string
  /** Milliseconds since the epoch: WeChat's CreateTime for inbound, creation for outbound. */
  at: number
  /** text | image | miniprogrampage | link | event | any other MsgType WeChat sends */
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
