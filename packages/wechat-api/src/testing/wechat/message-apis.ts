// The fake WeChat's message APIs: custom/send (text, image, link and mini program page, their media known to the
// app), subscribe/send (the app's templates and pages, each field's value as its kind allows, a send the customer
// granted, a msgid) and typing.
import { randomInt } from 'node:crypto'
import { subscribeFieldKind, subscribeValueProblem } from '@kefu/service'
import { checkOpenid, exactFields, Refusal, refusal, type Answer, type FieldType } from './refusals.js'
import { findMedia, grantKey, injected, type WechatState } from './state.js'

/** Answers a custom/send call of `appid` whose JSON body is `body`. */
export function customSend (state: WechatState, appid: string, body: Record<string, unknown>): Answer {
  const shapes: Record<string, Record<string, FieldType>> = {
    text: { content: 'string' },
    image: { media_id: 'string' },
    link: { title: 'string', description: 'string', url: 'string', thumb_url: 'string' },
    miniprogrampage: { title: 'string', pagepath: 'string', thumb_media_id: 'string' }
  }
  if (typeof body.msgtype !== 'string') throw new Refusal(40035, 'msgtype')
  const shape = shapes[body.msgtype]
  if (shape === undefined) throw new Refusal(40008, 'msgtype')
  exactFields(body, '', { touser: 'string', msgtype: 'string', [body.msgtype]: 'object' }, {})
  checkOpenid(body.touser)
  const message = body[body.msgtype] as Record<string, unknown>
  exactFields(message, `${body.msgtype}.`, shape, {})
  if (body.msgtype === 'text' && message.content === '') throw new Refusal(44004, 'text.content')
  for (const key of ['media_id', 'thumb_media_id']) {
    if (key in message && findMedia(state, appid, message[key] as string) === undefined) throw new Refusal(40007, `${body.msgtype}.${key}`)
  }
  return injected(state, 'custom/send') ?? { errcode: 0, errmsg: 'ok' }
}

/**
 * Answers a subscribe/send call of `appid` whose JSON body is `body`, using up one of the customer's sends.
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
 */
export function subscribeSend (state: WechatState, appid: string, body: Record<string, unknown>): Answer {
  exactFields(body, '', { touser: 'string', template_id: 'string', data: 'object' }, { page: 'string', miniprogram_state: 'string', lang: 'string' })
  checkOpenid(body.touser)
  const template = state.templates.get(appid)?.get(body.template_id as string)
  if (template === undefined) throw new Refusal(40037, 'template_id')
  if (body.miniprogram_state !== undefined && !['developer', 'trial', 'formal'].includes(body.miniprogram_state as string)) throw new Refusal(40035, 'miniprogram_state')
  if (body.lang !== undefined && !['zh_CN', 'en_US', 'zh_HK', 'zh_TW'].includes(body.lang as string)) throw new Refusal(40035, 'lang')
  const data = body.data as Record<string, unknown>
  const keys = new Set(template.fields.map((f) => f.key))
  for (const key of Object.keys(data)) if (!keys.has(key)) throw new Refusal(47003, undefined, `argument invalid! data.${key} is not a field of the template`)
  for (const field of template.fields) {
    const entry = data[field.key]
    const invalid = new Refusal(47003, undefined, `argument invalid! data.${field.key}.value invalid`)
    if (entry === undefined) throw new Refusal(47003, undefined, `argument invalid! data.${field.key}.value is empty`)
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || Object.keys(entry).join() !== 'value') throw invalid
    const value = (entry as { value: unknown }).value
    if (typeof value !== 'string') throw invalid
    if (value.trim() === '') throw new Refusal(47003, undefined, `argument invalid! data.${field.key}.value is empty`)
    const kind = subscribeFieldKind(field.key)
    if (kind === undefined || subscribeValueProblem(kind, value, field.values ?? []) !== null) throw invalid
  }
  if (body.page !== undefined) {
    const path = (body.page as string).split('?')[0]!.replace(/^\//, '')
    const known = state.pages.get(appid)
    if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) || (known !== undefined && !known.has(path))) throw new Refusal(41030, 'page')
  }
  const failed = injected(state, 'subscribe/send')
  if (failed !== undefined) return failed
  const key = grantKey(appid, body.touser as string, template.templateId)
  const left = state.grants.get(key) ?? 0
  if (left !== 'long-term' && left <= 0) return refusal(43101)
  if (left !== 'long-term') state.grants.set(key, left - 1)
  state.subscribeSeq += BigInt(randomInt(1, 1000))
  const msgId = state.subscribeSeq.toString()
  state.subscribeSent.push({ appid, body, msgId })
  return { errcode: 0, errmsg: 'ok', msgId }
}

/** Answers a typing call whose JSON body is `body`. */
export function typing (state: WechatState, body: Record<string, unknown>): Answer {
  exactFields(body, '', { touser: 'string', command: 'string' }, {})
  checkOpenid(body.touser)
  if (body.command !== 'Typing' && body.command !== 'CancelTyping') throw new Refusal(45072, 'command')
  return injected(state, 'typing') ?? { errcode: 0, errmsg: 'ok' }
}
