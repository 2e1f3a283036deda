import type { FastifyInstance } from 'fastify'
import type { MiniProgramRegistry } from '@kefu/mini-programs'
import { WechatApiError } from '@kefu/wechat-api'
import { parsePushBody, WechatCryptoError } from '@kefu/wechat-crypto'
import { WECHAT } from '@kefu/mini-programs'
import { platformXmlBody } from '../lib/xml-body.js'
import { AppidMismatch, BadBody, BadSignature, DecryptFailed, StaleTimestamp, StoreUnavailable } from '../lib/errors.js'
import type { Component } from '../plugins/component.js'

export interface ComponentRoutesOptions {
  component: Component
  /** Reloaded at once for the mini program an event changed (other instances hear it on the bus). */
  miniPrograms: Pick<MiniProgramRegistry, 'reload'>
  timestampWindowS: number
  now: () => number
}

interface EventQuery { signature?: string, timestamp?: string, nonce?: string, encrypt_type?: string, msg_signature?: string }

const TIMESTAMP = /^\d{1,12}$/
const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } }
} as const

/**
 * The third-party platform's 授权事件接收URL: component_verify_ticket every 10 minutes, and authorized /
 * updateauthorized / unauthorized. Always encrypted with the platform's key and checked by msg_signature; an accepted
 * event is answered `success` (WeChat wants nothing else), also one of an InfoType kefu does not use.
 * https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/authorize_event.html
 */
export default async function componentRoutes (fastify: FastifyInstance, opts: ComponentRoutesOptions): Promise<void> {
  const { crypto, store, api } = opts.component
  const events = fastify.metrics.counter('kefu_ingest_component_events_total', 'Authorization events of the third-party platform by InfoType and outcome', ['info_type', 'outcome'])

  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, function rawBody (_req, body, done) { done(null, body) })

  async function reloaded (appid: string): Promise<void> {
    await opts.miniPrograms.reload(appid).catch((err: Error) => { fastify.log.warn({ appid, err: err.message }, 'mini programs: reload after an authorization event failed') })
  }

  /** An authorization: the code exchanged, the account described, the mini program's row written. */
  async function authorized (fields: Record<string, string | undefined>, infoType: 'authorized' | 'updateauthorized'): Promise<string> {
    const code = fields.AuthorizationCode
    const appid = fields.AuthorizerAppid
    if (code === undefined || appid === undefined) throw new BadBody(`${infoType} without AuthorizerAppid or AuthorizationCode`)
    let auth, info
    try {
      auth = await api.queryAuth(code)
      info = await api.authorizerInfo(auth.appid)
    } catch (err) {
      // WeChat does not resend a notice for long; the owner can authorize again from the console.
      if (!(err instanceof WechatApiError)) throw err
      fastify.log.warn({ appid, code: err.code, errcode: err.errcode }, 'third-party platform: an authorization could not be exchanged')
      return 'exchange_failed'
    }
    if (!info.isMiniProgram) {
      fastify.log.info({ appid: auth.appid }, 'third-party platform: an official account authorized; kefu serves mini programs only')
      return 'not_mini_program'
    }
    try {
      await store.authorize({ appid: auth.appid, refreshToken: auth.refreshToken, funcInfo: auth.funcInfo, name: info.nickName, originalId: info.userName, pictureUrl: info.headImg }, WECHAT, infoType === 'authorized')
    } catch (err) {
      fastify.log.warn({ appid, err: (err as Error).message }, 'third-party platform: authorization not stored')
      throw new StoreUnavailable('the authorization could not be stored')
    }
    await reloaded(auth.appid)
    if (!auth.funcInfo.includes(19)) fastify.log.warn({ appid: auth.appid, funcInfo: auth.funcInfo }, 'third-party platform: 小程序客服管理 (permission set 19) was not granted: its customer-service messages will not come here')
    return 'stored'
  }

  fastify.post<{ Querystring: EventQuery, Body: string | undefined }>('/wechat/component/events', {
    schema: {
      summary: 'The third-party platform authorization-event URL: ticket, authorized, updateauthorized, unauthorized',
      querystring: {
        type: 'object',
        properties: {
          signature: { type: 'string' },
          timestamp: { type: 'string' },
          nonce: { type: 'string' },
          encrypt_type: { type: 'string', enum: ['aes'] },
          msg_signature: { type: 'string' }
        }
      },
      response: { 200: { type: 'string' }, ...Object.fromEntries([400, 401, 413, 415, 503].map((s) => [s, errorSchema])) }
    }
  }, async function componentEvent (request, reply) {
    const { timestamp, nonce, msg_signature: msgSignature } = request.query
    if (timestamp === undefined || !TIMESTAMP.test(timestamp)) throw new BadSignature('timestamp is missing or not unix seconds')
    if (nonce === undefined || nonce === '' || nonce.length > 64) throw new BadSignature('nonce is missing or too long')
    if (msgSignature === undefined || msgSignature === '') throw new BadSignature('msg_signature is missing: the platform\'s events are always encrypted')
    const outer = platformXmlBody(request.body)
    const encrypted = outer.Encrypt
    if (typeof encrypted !== 'string' || encrypted === '') throw new BadBody('Encrypt is missing')
    if (!crypto.verifyMsgSignature(timestamp, nonce, encrypted, msgSignature)) throw new BadSignature('msg_signature does not match')
    const skew = Number(timestamp) - Math.floor(opts.now() / 1000)
    if (Math.abs(skew) > opts.timestampWindowS) throw new StaleTimestamp(skew, opts.timestampWindowS)
    let plaintext: string
    try {
      plaintext = crypto.decrypt(encrypted).message
    } catch (err) {
      if (err instanceof WechatCryptoError && err.code === 'APPID_MISMATCH') throw new AppidMismatch()
      throw new DecryptFailed(err instanceof WechatCryptoError ? err.message : 'unexpected error')
    }
    let fields: Record<string, string | undefined>
    try {
      const parsed = parsePushBody(plaintext, 'xml')
      fields = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined]))
    } catch {
      throw new BadBody('the decrypted event is not valid XML')
    }
    const infoType = fields.InfoType ?? 'none'
    let outcome: string
    switch (infoType) {
      case 'component_verify_ticket': {
        const ticket = fields.ComponentVerifyTicket
        if (ticket === undefined || ticket === '') throw new BadBody('component_verify_ticket without ComponentVerifyTicket')
        const created = Number(fields.CreateTime)
        const at = Number.isSafeInteger(created) && created > 0 ? new Date(Math.min(created * 1000, opts.now())) : new Date(opts.now())
        try {
          await store.saveVerifyTicket(ticket, at)
        } catch (err) {
          request.log.warn({ err: (err as Error).message }, 'third-party platform: ticket not stored')
          throw new StoreUnavailable('the ticket could not be stored')
        }
        outcome = 'stored'
        break
      }
      case 'authorized':
      case 'updateauthorized':
        outcome = await authorized(fields, infoType)
        break
      case 'unauthorized': {
        const appid = fields.AuthorizerAppid
        if (appid === undefined || appid === '') throw new BadBody('unauthorized without AuthorizerAppid')
        try {
          outcome = await store.withdraw(appid) ? 'withdrawn' : 'unknown_app'
          await reloaded(appid)
        } catch (err) {
          request.log.warn({ appid, err: (err as Error).message }, 'third-party platform: withdrawal not stored')
          throw new StoreUnavailable('the withdrawal could not be stored')
        }
        break
      }
      default:
        outcome = 'ignored'
    }
    events.inc({ info_type: ['component_verify_ticket', 'authorized', 'updateauthorized', 'unauthorized'].includes(infoType) ? infoType : 'other', outcome })
    request.log.info({ info_type: infoType, appid: fields.AuthorizerAppid, outcome }, 'third-party platform event')
    return await reply.type('text/plain; charset=utf-8').send('success')
  })
}
