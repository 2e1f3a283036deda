/**
 * The message objects of `cgi-bin/message/custom/send`, without `touser`, in WeChat's own field names
 * (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/kf-mgnt/kf-message/sendCustomMessage.html).
 * This is also what kefu stores in `outbound_message.content`.
 */
export type CustomMessage = TextMessageBody | ImageMessageBody | LinkMessageBody | MiniProgramPageMessageBody

export interface TextMessageBody { msgtype: 'text', text: { content: string } }
export interface ImageMessageBody { msgtype: 'image', image: { media_id: string } }
export interface LinkMessageBody {
  msgtype: 'link'
  link: { title: string, description: string, url: string, thumb_url: string }
}
export interface MiniProgramPageMessageBody {
  msgtype: 'miniprogrampage'
  miniprogrampage: { title: string, pagepath: string, thumb_media_id: string }
}

export interface LinkCard {
  title: string
  description: string
  /** Where a tap on the card leads. */
  url: string
  /** The card's picture (JPG or PNG). */
  thumbUrl: string
}

export interface MiniProgramPageCard {
  title: string
  /** A page of the mini program as in app.json, with a query if wanted: `pages/index/index?foo=bar`. */
  pagePath: string
  /** An image uploaded with `uploadTempImage`. */
  thumbMediaId: string
}

export function textMessage (content: string): TextMessageBody {
  return { msgtype: 'text', text: { content } }
}

export function imageMessage (mediaId: string): ImageMessageBody {
  return { msgtype: 'image', image: { media_id: mediaId } }
}

export function linkMessage (card: LinkCard): LinkMessageBody {
  return { msgtype: 'link', link: { title: card.title, description: card.description, url: card.url, thumb_url: card.thumbUrl } }
}

export function miniProgramPageMessage (card: MiniProgramPageCard): MiniProgramPageMessageBody {
  return {
    msgtype: 'miniprogrampage',
    miniprogrampage: { title: card.title, pagepath: card.pagePath, thumb_media_id: card.thumbMediaId }
  }
}

/** The JSON body of `custom/send`: `touser` first, then the message, exactly WeChat's fields and nothing else. */
export function customSendBody (openid: string, message: CustomMessage): Record<string, unknown> {
  switch (message.msgtype) {
    case 'text': return { touser: openid, msgtype: 'text', text: { content: message.text.content } }
    case 'image': return { touser: openid, msgtype: 'image', image: { media_id: message.image.media_id } }
    case 'link': {
      const { title, description, url, thumb_url: thumbUrl } = message.link
      return { touser: openid, msgtype: 'link', link: { title, description, url, thumb_url: thumbUrl } }
    }
    case 'miniprogrampage': {
      const { title, pagepath, thumb_media_id: thumbMediaId } = message.miniprogrampage
      return { touser: openid, msgtype: 'miniprogrampage', miniprogrampage: { title, pagepath, thumb_media_id: thumbMediaId } }
    }
    default:
      throw new TypeError(`unknown customer-service msgtype ${JSON.stringify((message as { msgtype?: unknown }).msgtype)}`)
  }
}

/**
 * A subscribe message (订阅消息) as `cgi-bin/message/subscribe/send` takes it, without `touser`
 * (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html).
 * This is also what kefu stores in `outbound_message.content` (msgtype `subscribe`).
 */
export interface SubscribeMessageBody {
  template_id: string
  /** The page a tap opens, with its query (`pages/order/detail?id=42`); without it the card opens nothing. */
  page?: string
  /** `{ thing1: { value: '…' } }`: every field of the template, each value a string. */
  data: Record<string, { value: string }>
  miniprogram_state?: 'developer' | 'trial' | 'formal'
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW'
}

/** The JSON body of `subscribe/send`: `touser` first, then exactly WeChat's fields, the optional ones only when set. */
export function subscribeSendBody (openid: string, message: SubscribeMessageBody): Record<string, unknown> {
  const body: Record<string, unknown> = { touser: openid, template_id: message.template_id }
  if (message.page !== undefined) body.page = message.page
  body.data = Object.fromEntries(Object.entries(message.data).map(([key, field]) => [key, { value: field.value }]))
  if (message.miniprogram_state !== undefined) body.miniprogram_state = message.miniprogram_state
  if (message.lang !== undefined) body.lang = message.lang
  return body
}
