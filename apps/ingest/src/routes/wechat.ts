import crypto from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  detectFormat, fieldString, parseMessage, parsePushBody, stringifyFlat, stringifyFlatXml, WechatCryptoError,
  type CustomerMessage, type PushCrypto, type PushFormat
} from '@kefu/wechat-crypto'
import { AppidMismatch, BadBody, BadSignature, DecryptFailed, ReplayedNonce, StaleTimestamp, StoreUnavailable, UnknownApp } from '../lib/errors.js'
import { rowProblem, toRow } from '../lib/message-row.js'
import { warmUpPushPath } from '../lib/warm-up.js'
import type { MiniProgramEntry } from '@kefu/mini-programs'
import { isReleaseTestAccount, type ReleaseCheckAnswer } from '../lib/release-check.js'
import { platformXmlBody } from '../lib/xml-body.js'

export interface WechatRoutesOptions {
  /** The mini programs served: enabled ones only, a memory lookup (@kefu/mini-programs' registry). */
  miniPrograms: { get: (appid: string) => MiniProgramEntry | undefined, readonly size: number }
  timestampWindowS: number
  now: () => number
  /**
   * Third-party platform mode (WECHAT_COMPONENT): POST /wechat/component/:appid too, where WeChat's release-check
   * accounts are answered by `releaseCheck` with the platform's crypto.
   */
  component?: { crypto: PushCrypto, releaseCheck: (appid: string, fields: Record<string, unknown>) => ReleaseCheckAnswer }
}

interface PushQuery {
  signature?: string
  timestamp?: string
  nonce?: string
  echostr?: string
  openid?: string
  encrypt_type?: string
  msg_signature?: string
}

interface PushLog {
  appid: string
  /** Whether the appid is a mini program served here (looked up once per push: the metrics label reuses it). */
  known?: boolean
  type?: string
  msg_id?: string | null
  outcome?: string
}

declare module 'fastify' {
  interface FastifyRequest { push?: PushLog }
}

const XML_TYPES = ['text/xml', 'application/xml']
const JSON_TYPES = ['application/json']
const TIMESTAMP = /^\d{1,12}$/
/**
 * kefu_ingest_pushes_total has a series per mini program while there are at most this many; beyond, they are counted
 * together (appid `many`): ten thousand series a label value each cost Prometheus and every push (+10 µs a push at
 * 10,000, bench:ingest:apps), and the Mini programs page shows each one's pushes from the database anyway.
 */
export const PER_APP_SERIES_LIMIT = 200
const KNOWN_TYPES = new Set<string | undefined>(['text', 'image', 'miniprogrampage', 'user_enter_tempsession', 'subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event'])

const querySchema = {
  type: 'object',
  properties: {
    signature: { type: 'string', description: "sha1 of the sorted token, timestamp and nonce" },
    timestamp: { type: 'string', description: 'unix seconds' },
    nonce: { type: 'string' },
    echostr: { type: 'string' },
    openid: { type: 'string' },
    encrypt_type: { type: 'string', enum: ['aes', 'raw'] },
    msg_signature: { type: 'string', description: 'sha1 of the sorted token, timestamp, nonce and Encrypt' }
  }
} as const
const paramsSchema = { type: 'object', required: ['appid'], properties: { appid: { type: 'string', maxLength: 64 } } } as const
const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } }
} as const
const errorResponses = Object.fromEntries([400, 401, 404, 413, 415, 503].map((s) => [s, errorSchema]))

function bodyFormat (request: FastifyRequest): PushFormat {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  return XML_TYPES.includes(type) ? 'xml' : 'json'
}

function cryptoReason (err: unknown): string {
  return err instanceof WechatCryptoError ? err.message : 'unexpected error'
}

export default async function wechatRoutes (fastify: FastifyInstance, opts: WechatRoutesOptions): Promise<void> {
  const miniPrograms = opts.miniPrograms

  /**
   * The passive reply that hands a user message to WeChat's web customer-service tool, in the push's own format,
   * encrypted (with its MsgSignature) when the push was.
   * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/customer-message/trans.html
   */
  function transferReply (app: PushCrypto, message: CustomerMessage, outerFormat: PushFormat, innerFormat: PushFormat, encrypted: boolean): string {
    const now = Math.floor(opts.now() / 1000)
    const fields = { ToUserName: message.fromUserName, FromUserName: message.toUserName, CreateTime: now, MsgType: 'transfer_customer_service' }
    const inner = innerFormat === 'json' ? stringifyFlat(fields) : stringifyFlatXml(fields)
    if (!encrypted) return inner
    const reply = app.encryptReply(inner, String(now), crypto.randomInt(1e9, 1e10 - 1).toString())
    return outerFormat === 'json' ? stringifyFlat({ ...reply }) : stringifyFlatXml({ ...reply })
  }

  fastify.addHook('onReady', async function warmUp () { warmUpPushPath() })

  // Bodies stay raw strings: signatures cover exact bytes, and JSON must be parsed losslessly (64-bit MsgId).
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser([...JSON_TYPES, ...XML_TYPES], { parseAs: 'string' }, function rawBody (_req, body, done) {
    done(null, body)
  })

  const pushes = fastify.metrics.counter('kefu_ingest_pushes_total', 'Pushes and URL verifications by appid, message type and outcome (stored, duplicate, verified, or the error code)', ['appid', 'type', 'outcome'])
  // A callback hook, not an async one: it runs for every push.
  fastify.addHook('onResponse', function logPush (request, reply, done) {
    const push = request.push
    if (push === undefined) {
      done()
      return
    }
    // Labels stay few: appids and types that are not configured or known are counted together.
    pushes.inc({ appid: push.known !== true ? 'unknown' : miniPrograms.size > PER_APP_SERIES_LIMIT ? 'many' : push.appid, type: KNOWN_TYPES.has(push.type!) ? push.type : push.type === undefined ? 'none' : 'other', outcome: push.outcome ?? 'error' })
    request.log.info({ appid: push.appid, type: push.type, msg_id: push.msg_id, outcome: push.outcome, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'push')
    done()
  })
  fastify.addHook('onError', async function noteError (request, _reply, err) {
    if (request.push !== undefined) request.push.outcome = (err as { code?: string }).code ?? 'error'
  })

  /**
   * The enabled mini program of the URL's appid; 404 for one unknown or disabled. One served by the third-party
   * platform (source component) is reached only at /wechat/component/:appid, and the others only at /wechat/:appid.
   */
  function lookup (request: FastifyRequest<{ Params: { appid: string } }>, via: 'direct' | 'component' = 'direct'): MiniProgramEntry {
    const appid = request.params.appid
    const entry = miniPrograms.get(appid)
    request.push = { appid, known: entry !== undefined }
    if (entry === undefined || (entry.program.source === 'component') !== (via === 'component')) throw new UnknownApp(appid)
    return entry
  }

  /** signature over (token, timestamp, nonce), and the timestamp inside the window. */
  function verifyQuery (app: PushCrypto, query: PushQuery): { timestamp: string, nonce: string, signature: string } {
    const { signature, timestamp, nonce } = query
    if (signature === undefined || signature === '') throw new BadSignature('signature is missing')
    if (timestamp === undefined || !TIMESTAMP.test(timestamp)) throw new BadSignature('timestamp is missing or not unix seconds')
    if (nonce === undefined || nonce === '' || nonce.length > 64) throw new BadSignature('nonce is missing or too long')
    if (!app.verifySignature(timestamp, nonce, signature)) throw new BadSignature('signature does not match')
    const skew = Number(timestamp) - Math.floor(opts.now() / 1000)
    if (Math.abs(skew) > opts.timestampWindowS) throw new StaleTimestamp(skew, opts.timestampWindowS)
    return { timestamp, nonce, signature }
  }

  fastify.get<{ Params: { appid: string }, Querystring: PushQuery }>('/wechat/:appid', {
    schema: {
      summary: 'URL verification: answers echostr when the signature is valid',
      params: paramsSchema,
      querystring: querySchema,
      response: { 200: { type: 'string' }, ...errorResponses }
    }
  }, async function verifyUrl (request, reply) {
    const app = lookup(request).crypto
    verifyQuery(app, request.query)
    const echostr = request.query.echostr
    if (echostr === undefined) throw new BadBody('echostr is missing')
    request.push!.outcome = 'verified'
    return reply.type('text/plain; charset=utf-8').send(echostr)
  })

  const pushSchema = {
    summary: 'A customer-service push: answers success once the message is stored',
    params: paramsSchema,
    querystring: querySchema,
    response: { 200: { type: 'string' }, ...errorResponses }
  }
  fastify.post<{ Params: { appid: string }, Querystring: PushQuery, Body: string | undefined }>('/wechat/:appid', { schema: pushSchema }, async function receivePush (request, reply) {
    return await receive(request, reply, lookup(request))
  })
  // Third-party platform mode: the 消息与事件接收URL registered as <ingest>/wechat/component/$APPID$. Signed with the
  // platform's token, encrypted with its key, the component appid in the plaintext: the entry's crypto is the platform's.
  const platform = opts.component
  if (platform !== undefined) {
    fastify.post<{ Params: { appid: string }, Querystring: PushQuery, Body: string | undefined }>('/wechat/component/:appid', {
      schema: { ...pushSchema, summary: 'A customer-service push for a mini program that authorized the third-party platform' }
    }, async function receiveComponentPush (request, reply) {
      if (isReleaseTestAccount(request.params.appid)) return await releaseCheck(request, reply, platform)
      return await receive(request, reply, lookup(request, 'component'))
    })
  }

  /** 全网发布: a message of WeChat's test accounts, verified as any push, answered as the check wants, not stored. */
  async function releaseCheck (request: FastifyRequest<{ Params: { appid: string }, Querystring: PushQuery, Body: string | undefined }>, reply: FastifyReply, platform: NonNullable<WechatRoutesOptions['component']>): Promise<FastifyReply> {
    const appid = request.params.appid
    request.push = { appid }
    const { timestamp, nonce } = verifyQuery(platform.crypto, request.query)
    const outer = platformXmlBody(request.body)
    const payload = decrypted(platform.crypto, request.query, timestamp, nonce, outer.Encrypt, appid)
    let fields
    try {
      fields = parsePushBody(payload, 'xml')
    } catch (err) {
      throw new BadBody(`message is malformed: ${cryptoReason(err)}`)
    }
    request.push.type = 'release_check'
    const answer = platform.releaseCheck(appid, fields)
    request.push.outcome = answer.replyText !== undefined ? 'release_check_reply' : answer.after !== undefined ? 'release_check_api' : 'release_check_ignored'
    if (answer.after !== undefined) reply.raw.once('finish', () => { void answer.after!() })
    if (answer.replyText === undefined) return reply.type('text/plain; charset=utf-8').send('')
    const now = Math.floor(opts.now() / 1000)
    const inner = stringifyFlatXml({ ToUserName: String(fields.FromUserName ?? ''), FromUserName: String(fields.ToUserName ?? ''), CreateTime: now, MsgType: 'text', Content: answer.replyText })
    const encrypted = platform.crypto.encryptReply(inner, String(now), crypto.randomInt(1e9, 1e10 - 1).toString())
    return reply.type('text/xml; charset=utf-8').send(stringifyFlatXml({ ...encrypted }))
  }

  /** The plaintext of an encrypted push: Encrypt checked by msg_signature, then decrypted (the appid checked inside). */
  function decrypted (app: PushCrypto, query: PushQuery, timestamp: string, nonce: string, value: unknown, appid: string): string {
    const msgSignature = query.msg_signature
    if (msgSignature === undefined || msgSignature === '') throw new BadSignature(`msg_signature is missing: ${appid} accepts only encrypted pushes`)
    if (query.encrypt_type !== 'aes') throw new BadBody('encrypt_type must be aes for an app with an encodingAESKey')
    if (typeof value !== 'string' || value === '') throw new BadBody('Encrypt is missing')
    if (!app.verifyMsgSignature(timestamp, nonce, value, msgSignature)) throw new BadSignature('msg_signature does not match')
    try {
      return app.decrypt(value).message
    } catch (err) {
      if (err instanceof WechatCryptoError && err.code === 'APPID_MISMATCH') throw new AppidMismatch()
      throw new DecryptFailed(cryptoReason(err))
    }
  }

  async function receive (request: FastifyRequest<{ Params: { appid: string }, Querystring: PushQuery, Body: string | undefined }>, reply: FastifyReply, entry: MiniProgramEntry): Promise<FastifyReply> {
    const app = entry.crypto
    const query = request.query
    const { timestamp, nonce, signature } = verifyQuery(app, query)
    const body = request.body
    if (body === undefined || body.trim() === '') throw new BadBody('body is empty')
    const format = bodyFormat(request)

    let outer
    try {
      outer = parsePushBody(body, format)
    } catch (err) {
      throw new BadBody(`body is not valid ${format.toUpperCase()}: ${cryptoReason(err)}`)
    }

    let payload: string
    let encrypt: string | null = null
    if (app.encrypted) {
      // Safe and compatible modes alike: only Encrypt, checked by msg_signature, is trusted. Compatible mode's
      // plaintext copy is ignored, and a plaintext push to an app with a key is refused (no downgrade).
      payload = decrypted(app, query, timestamp, nonce, outer.Encrypt, entry.program.appid)
      encrypt = outer.Encrypt as string
    } else {
      if (query.encrypt_type === 'aes' || outer.Encrypt !== undefined) throw new BadBody(`${app.appid} has no encodingAESKey: send plaintext pushes`)
      payload = body
    }

    let message: CustomerMessage
    let payloadFormat: PushFormat
    try {
      payloadFormat = encrypt === null ? format : detectFormat(payload)
      message = parseMessage(encrypt === null ? outer : parsePushBody(payload, payloadFormat))
    } catch (err) {
      throw new BadBody(`message is malformed: ${cryptoReason(err)}`)
    }
    request.push!.type = message.kind === 'other' ? (fieldString(message.fields, 'Event') ?? message.msgType) : message.kind
    request.push!.msg_id = 'msgId' in message ? message.msgId : null

    const row = toRow(message, {
      appId: entry.program.appid,
      signature,
      timestamp,
      nonce,
      encryptType: query.encrypt_type ?? null,
      msgSignature: query.msg_signature ?? null,
      encrypt,
      payload,
      format: payloadFormat
    })
    const problem = rowProblem(row)
    if (problem !== undefined) throw new BadBody(problem)

    // A (timestamp, nonce) pair carries one body. In the encrypted modes msg_signature already binds the pair to
    // Encrypt, the only content trusted, so another body under a used pair cannot pass it. In plaintext mode the
    // body is unsigned: the nonce store remembers which body each pair carried.
    if (encrypt === null) {
      const bodyHash = crypto.createHash('sha256').update(body).digest('base64')
      let claim
      try {
        claim = await fastify.nonceStore.claim(`${app.appid}:${timestamp}:${nonce}`, bodyHash)
      } catch (err) {
        request.log.warn({ err: (err as Error).message }, 'nonce store unavailable')
        throw new StoreUnavailable('replay protection is unavailable')
      }
      if (claim === 'conflict') throw new ReplayedNonce()
    }

    try {
      // Settles once the row's batch committed, failed, or outlasted the write timeout (WeChat gives up after 5 s).
      request.push!.outcome = await fastify.messageWriter.write(row)
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'message not stored')
      throw new StoreUnavailable('the message could not be stored')
    }
    if (entry.program.transferCustomerService === true && message.msgType !== 'event') {
      request.push!.outcome += '+transfer'
      return reply
        .type(format === 'json' ? 'application/json; charset=utf-8' : 'text/xml; charset=utf-8')
        .send(transferReply(app, message, format, payloadFormat, encrypt !== null))
    }
    return reply.type('text/plain; charset=utf-8').send('success')
  }
}
