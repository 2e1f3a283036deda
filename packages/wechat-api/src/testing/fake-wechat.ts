import { createHash, randomBytes, randomInt } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import fastifyMultipart from '@fastify/multipart'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { subscribeFieldKind, subscribeValueProblem } from '@kefu/service'

/** The APIs the fake implements, by the short names `failNext` and `hangNext` take. */
export type FakeApi = 'stable_token' | 'custom/send' | 'subscribe/send' | 'typing' | 'media/upload' | 'media/get'

const ROUTES: ReadonlyArray<{ api: FakeApi, method: 'GET' | 'POST', path: string }> = [
  { api: 'stable_token', method: 'POST', path: '/cgi-bin/stable_token' },
  { api: 'custom/send', method: 'POST', path: '/cgi-bin/message/custom/send' },
  { api: 'subscribe/send', method: 'POST', path: '/cgi-bin/message/subscribe/send' },
  { api: 'typing', method: 'POST', path: '/cgi-bin/message/custom/business/typing' },
  { api: 'media/upload', method: 'POST', path: '/cgi-bin/media/upload' },
  { api: 'media/get', method: 'GET', path: '/cgi-bin/media/get' }
]

/** A mini program the fake knows when none are given. */
export const FAKE_APP = Object.freeze({ appid: 'wxfa4e000000000001', secret: 'fake-secret-0000000000000000001' })

export interface FakeWechatOptions {
  /** The mini programs whose appid and secret stable_token accepts (default `[FAKE_APP]`). */
  apps?: ReadonlyArray<{ appid: string, secret: string }>
  /** `expires_in` of new tokens (default 7200). */
  tokenTtlSeconds?: number
  /** stable_token answers after this long, as a slow WeChat would: widens refresh races in tests (default 0). */
  tokenDelayMs?: number
  /** Largest image media/upload takes (default 10 MiB). */
  maxImageBytes?: number
  /**
   * The subscribe-message templates of each app (by appid), as in its admin console: each field's kind is named by
   * its key (`thing1`), enum fields list their values. `subscribeTemplates` of WECHAT_APPS fit.
   */
  subscribeTemplates?: Readonly<Record<string, ReadonlyArray<FakeSubscribeTemplate>>>
  /** The pages of each app (app.json) a subscribe message may open; an app not listed takes any well-formed path. */
  pages?: Readonly<Record<string, readonly string[]>>
  host?: string
  port?: number
  /** Adds routes before the fake listens (the fake Open Platform's component APIs); they take precedence over the fake's. */
  extend?: (app: FastifyInstance) => void | Promise<void>
}

export interface FakeSubscribeTemplate {
  templateId: string
  fields: ReadonlyArray<{ key: string, values?: readonly string[] }>
}

/** A subscribe message WeChat took: its body and the msgid it answered with. */
export interface FakeSubscribeSend { appid: string, body: Record<string, unknown>, msgId: string }

export type TokenStatus = 'valid' | 'expired' | 'invalid' | 'unknown' | 'missing'

export interface RecordedRequest {
  api: FakeApi | 'unknown'
  method: string
  path: string
  /** The query string without `access_token`. */
  query: Record<string, string>
  /** What the fake thought of the request's access_token; `undefined` for stable_token, which takes none. */
  token: TokenStatus | undefined
  /** The mini program: the token's, or the appid in the stable_token body. */
  appid: string | undefined
  /** The JSON body as sent; for media/upload `{ media: { filename, contentType, size, sha256 } }`. */
  body: unknown
  /** What the fake answered (0: success). */
  errcode: number
  at: number
}

export interface FakeMedia {
  appid: string
  bytes: Buffer
  contentType: string
  filename: string
  /** Served without a Content-Length (Transfer-Encoding: chunked), as a proxy on the way may do. */
  chunked: boolean
}

export interface FakeWechat {
  /** The base address to give the client (`WECHAT_API_BASE`). */
  readonly url: string
  /** Every request, in the order they were answered. */
  readonly requests: readonly RecordedRequest[]
  /** stable_token calls that minted a new token (the first token of an app included). */
  readonly tokenRefreshes: number
  /** stable_token calls with `force_refresh: true`. */
  readonly forcedRefreshes: number
  /** All stable_token calls. */
  readonly tokenRequests: number
  /** The most stable_token calls that were in progress at the same moment. */
  readonly maxConcurrentTokenRequests: number
  /** The bodies of `custom/send` calls that succeeded, in order (for one app, or all). */
  messages: (appid?: string) => unknown[]
  /** The subscribe messages WeChat took, in order (for one app, or all). */
  subscribeMessages: (appid?: string) => FakeSubscribeSend[]
  /**
   * The customer accepted `templateId` in the popup: `sends` more one-time sends (default 1), or `'long-term'`
   * (sends never use it up). What WeChat knows and kefu learns from subscribe_msg_popup_event.
   */
  grantSubscription: (appid: string, openid: string, templateId: string, sends?: number | 'long-term') => void
  /** The customer rejected or turned the template off: no sends left. */
  revokeSubscription: (appid: string, openid: string, templateId: string) => void
  /** The sends WeChat would still take. */
  subscriptionsLeft: (appid: string, openid: string, templateId: string) => number | 'long-term'
  /** The next `times` (default 1) calls to `api` that would have succeeded answer `errcode` instead. */
  failNext: (api: FakeApi, errcode: number, options?: { times?: number, errmsg?: string }) => void
  /**
   * stable_token calls wait (in progress, counted) until the returned function is called: lets a test line up
   * every caller behind one refresh without guessing how long it takes.
   */
  holdTokenRequests: () => () => void
  /** The next `times` calls to `api` get no answer until `close()` (for timeouts); resolves when the first arrives. */
  hangNext: (api: FakeApi, times?: number) => Promise<void>
  /** The current tokens (of one app, or all) expire: calls with them get 42001, stable_token mints new ones. */
  expireTokens: (appid?: string) => void
  /** The current tokens become invalid, as when leaked and reset: calls get 40001, stable_token mints new ones. */
  invalidateTokens: (appid?: string) => void
  /**
   * Mints a token for `appid` that the APIs accept, as another issuer would (the Open Platform's authorizer tokens);
   * the app's previous token becomes invalid.
   */
  issueToken: (appid: string, ttlSeconds?: number) => string
  /** The token stable_token would hand out now, if any: for asserting that it leaks nowhere. */
  currentToken: (appid?: string) => string | undefined
  /**
   * Media as if a user had sent it (an image message's MediaId); returns the media_id. media/get serves it in
   * 64 KiB chunks, with a Content-Length unless `chunked`.
   */
  addMedia: (appid: string, bytes: Uint8Array, contentType: string, filename?: string, mediaId?: string, options?: { chunked?: boolean }) => string
  /** Bytes of media/get bodies handed to the connection so far: short of a body's size when the client stopped reading. */
  readonly mediaBytesSent: number
  /** WeChat deletes temporary media after 3 days: the media (one, or all) is forgotten and media/get answers 40007. */
  forgetMedia: (mediaId?: string) => void
  media: (mediaId: string) => FakeMedia | undefined
  /** Resolves with the first recorded request (past or future) that `match` accepts. */
  waitForRequest: (match: (r: RecordedRequest) => boolean, timeoutMs?: number) => Promise<RecordedRequest>
  /** stable_token accepts this mini program from now on (one added while the fake runs), with this secret. */
  addApp: (appid: string, secret: string) => void
  /** Forgets recorded requests and counters, mediaBytesSent too (not tokens, media or pending failures). */
  clearRequests: () => void
  close: () => Promise<void>
}

interface TokenState { appid: string, status: 'valid' | 'expired' | 'invalid', expiresAt: number }
interface Answer { status?: number, errcode: number, errmsg: string, extra?: Record<string, unknown>, msgId?: string }

const WECHAT_JSON = 'application/json; encoding=utf-8'
const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40009: 'invalid image size',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40035: 'invalid args',
  40037: 'invalid template_id',
  40066: 'invalid url',
  40125: 'invalid appsecret',
  41001: 'access_token missing',
  41005: 'media data missing',
  41006: 'media_id missing',
  41030: 'invalid page',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  44002: 'empty post data',
  44004: 'empty content',
  45011: 'api minute-quota reach limit mustslower retry next minute',
  43101: 'user refuse to accept the msg',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  45072: 'invalid command',
  47001: 'data format error',
  47003: 'argument invalid!',
  48001: 'api unauthorized'
}

class Refusal extends Error {
  constructor (readonly errcode: number, readonly hint?: string, readonly errmsg?: string) { super(`errcode ${errcode}`) }
}

/**
 * A local stand-in for WeChat's server API at `https://api.weixin.qq.com`, strict where WeChat is and stricter where
 * a test benefits: every JSON body must have exactly the documented fields (unknown, missing or mistyped → 40035,
 * unparseable → 47001, empty → 44002), every call a live access_token. It records what it received and can be told
 * to fail. Listens on 127.0.0.1 on a free port.
 */
export async function startFakeWechat (options: FakeWechatOptions = {}): Promise<FakeWechat> {
  const apps = new Map((options.apps ?? [FAKE_APP]).map((a) => [a.appid, a.secret]))
  const ttlSeconds = options.tokenTtlSeconds ?? 7200
  const tokenDelayMs = options.tokenDelayMs ?? 0
  const maxImageBytes = options.maxImageBytes ?? 10 * 1024 * 1024
  const tokens = new Map<string, TokenState>()
  const current = new Map<string, string>()
  const mediaStore = new Map<string, FakeMedia & { createdAt: number }>()
  const failures = new Map<FakeApi, Array<{ errcode: number, errmsg?: string }>>()
  const templates = new Map(Object.entries(options.subscribeTemplates ?? {}).map(([appid, list]) => [appid, new Map(list.map((tpl) => [tpl.templateId, tpl]))]))
  const pages = new Map(Object.entries(options.pages ?? {}).map(([appid, list]) => [appid, new Set(list.map((p) => p.replace(/^\//, '')))]))
  const grants = new Map<string, number | 'long-term'>()
  const subscribeSent: FakeSubscribeSend[] = []
  let subscribeSeq = 3248682510344192008n
  const hangs = new Map<FakeApi, number>()
  const hung = new Set<() => void>()
  const events = new EventEmitter()
  events.setMaxListeners(0)
  let requests: RecordedRequest[] = []
  let tokenRefreshes = 0
  let forcedRefreshes = 0
  let tokenRequests = 0
  let tokensInFlight = 0
  let maxConcurrentTokenRequests = 0
  let tokenSeq = 0
  let mediaBytesSent = 0
  let closing = false
  let tokenHold: Promise<void> | undefined
  let releaseTokenHold: (() => void) | undefined

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1024 * 1024 })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
  await app.register(fastifyMultipart, { limits: { fileSize: maxImageBytes, files: 4, fields: 8, parts: 12 } })

  function record (request: FastifyRequest, api: FakeApi | 'unknown', token: TokenStatus | undefined, appid: string | undefined, body: unknown, errcode: number): void {
    const query: Record<string, string> = {}
    for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) {
      if (k !== 'access_token') query[k] = String(v)
    }
    const entry: RecordedRequest = { api, method: request.method, path: request.url.split('?')[0] ?? '', query, token, appid, body, errcode, at: Date.now() }
    requests.push(entry)
    events.emit('request', entry)
  }

  function send (reply: FastifyReply, answer: Answer): FastifyReply {
    const rid = randomBytes(6).toString('hex')
    const payload = answer.errcode === 0
      ? { errcode: 0, errmsg: 'ok', ...answer.extra }
      : { errcode: answer.errcode, errmsg: `${answer.errmsg} rid: ${rid}` }
    // WeChat writes msgid as a bare 64-bit integer, beyond what JSON.parse keeps exact.
    const json = answer.errcode === 0 && answer.msgId !== undefined
      ? JSON.stringify(payload).replace(/}$/, `,"msgid":${answer.msgId}}`)
      : JSON.stringify(payload)
    return reply.code(answer.status ?? 200).type(WECHAT_JSON).send(json)
  }

  function refusal (errcode: number, hint?: string, errmsg?: string): Answer {
    const base = errmsg ?? ERRMSG[errcode] ?? 'error'
    return { errcode, errmsg: hint === undefined ? base : `${base} hint: [${hint}]` }
  }

  function checkToken (request: FastifyRequest): { status: TokenStatus, appid?: string } {
    const raw = (request.query as Record<string, unknown>).access_token
    if (typeof raw !== 'string' || raw === '') return { status: 'missing' }
    const state = tokens.get(raw)
    if (state === undefined) return { status: 'unknown' }
    if (state.status === 'valid' && Date.now() >= state.expiresAt) state.status = 'expired'
    return { status: state.status, appid: state.appid }
  }

  function tokenRefusal (status: TokenStatus): Answer | undefined {
    if (status === 'missing') return refusal(41001)
    if (status === 'unknown' || status === 'invalid') return refusal(40001)
    if (status === 'expired') return refusal(42001)
    return undefined
  }

  function injected (api: FakeApi): Answer | undefined {
    const queue = failures.get(api)
    const next = queue?.shift()
    if (next === undefined) return undefined
    return refusal(next.errcode, undefined, next.errmsg)
  }

  async function hangIfTold (api: FakeApi): Promise<void> {
    const left = hangs.get(api) ?? 0
    if (left <= 0) return
    hangs.set(api, left - 1)
    events.emit(`hang:${api}`)
    await new Promise<void>((resolve) => {
      const release = (): void => { hung.delete(release); resolve() }
      hung.add(release)
    })
  }

  function mint (appid: string, ttl = ttlSeconds): string {
    tokenSeq++
    const token = `${tokenSeq}_${randomBytes(60).toString('base64url')}`
    tokens.set(token, { appid, status: 'valid', expiresAt: Date.now() + ttl * 1000 })
    current.set(appid, token)
    tokenRefreshes++
    return token
  }

  function liveToken (appid: string): { token: string, state: TokenState } | undefined {
    const token = current.get(appid)
    if (token === undefined) return undefined
    const state = tokens.get(token) as TokenState
    if (state.status === 'valid' && Date.now() >= state.expiresAt) state.status = 'expired'
    return state.status === 'valid' ? { token, state } : undefined
  }

  async function stableToken (body: Record<string, unknown>): Promise<{ answer: Answer, appid?: string }> {
    exactFields(body, '', { grant_type: 'string', appid: 'string', secret: 'string' }, { force_refresh: 'boolean' })
    if (body.grant_type !== 'client_credential') throw new Refusal(40035, 'grant_type')
    const appid = body.appid as string
    const secret = apps.get(appid)
    if (secret === undefined) return { answer: refusal(40013), appid }
    if (secret !== body.secret) return { answer: refusal(40125), appid }
    const failed = injected('stable_token')
    if (failed !== undefined) return { answer: failed, appid }
    tokensInFlight++
    maxConcurrentTokenRequests = Math.max(maxConcurrentTokenRequests, tokensInFlight)
    try {
      if (tokenDelayMs > 0) await delay(tokenDelayMs)
      if (tokenHold !== undefined) await tokenHold
      const force = body.force_refresh === true
      if (force) forcedRefreshes++
      const live = liveToken(appid)
      if (live !== undefined && !force) {
        return { answer: { errcode: 0, errmsg: 'ok', extra: { access_token: live.token, expires_in: Math.max(1, Math.floor((live.state.expiresAt - Date.now()) / 1000)) } }, appid }
      }
      // Forcing invalidates the token it replaces, at once (WeChat's rule for force_refresh).
      if (live !== undefined) live.state.status = 'invalid'
      return { answer: { errcode: 0, errmsg: 'ok', extra: { access_token: mint(appid), expires_in: ttlSeconds } }, appid }
    } finally {
      tokensInFlight--
    }
  }

  function customSend (appid: string, body: Record<string, unknown>): Answer {
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
      if (key in message && findMedia(appid, message[key] as string) === undefined) throw new Refusal(40007, `${body.msgtype}.${key}`)
    }
    return injected('custom/send') ?? { errcode: 0, errmsg: 'ok' }
  }

  function grantKey (appid: string, openid: string, templateId: string): string {
    return `${appid}\u0000${openid}\u0000${templateId}`
  }

  /** https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html */
  function subscribeSend (appid: string, body: Record<string, unknown>): Answer {
    exactFields(body, '', { touser: 'string', template_id: 'string', data: 'object' }, { page: 'string', miniprogram_state: 'string', lang: 'string' })
    checkOpenid(body.touser)
    const template = templates.get(appid)?.get(body.template_id as string)
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
      const known = pages.get(appid)
      if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) || (known !== undefined && !known.has(path))) throw new Refusal(41030, 'page')
    }
    const failed = injected('subscribe/send')
    if (failed !== undefined) return failed
    const key = grantKey(appid, body.touser as string, template.templateId)
    const left = grants.get(key) ?? 0
    if (left !== 'long-term' && left <= 0) return refusal(43101)
    if (left !== 'long-term') grants.set(key, left - 1)
    subscribeSeq += BigInt(randomInt(1, 1000))
    const msgId = subscribeSeq.toString()
    subscribeSent.push({ appid, body, msgId })
    return { errcode: 0, errmsg: 'ok', msgId }
  }

  function typing (body: Record<string, unknown>): Answer {
    exactFields(body, '', { touser: 'string', command: 'string' }, {})
    checkOpenid(body.touser)
    if (body.command !== 'Typing' && body.command !== 'CancelTyping') throw new Refusal(45072, 'command')
    return injected('typing') ?? { errcode: 0, errmsg: 'ok' }
  }

  async function upload (request: FastifyRequest, appid: string): Promise<{ answer: Answer, body: unknown }> {
    const query = request.query as Record<string, unknown>
    for (const key of Object.keys(query)) if (key !== 'access_token' && key !== 'type') throw new Refusal(40035, key)
    if (query.type !== 'image') throw new Refusal(40004, 'type')
    if (!request.isMultipart()) throw new Refusal(41005, 'media')
    let file: { filename: string, contentType: string, bytes: Buffer } | undefined
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file' || part.fieldname !== 'media' || file !== undefined) {
          if (part.type === 'file') await part.toBuffer()
          throw new Refusal(40035, part.fieldname)
        }
        file = { filename: part.filename, contentType: part.mimetype, bytes: await part.toBuffer() }
      }
    } catch (err) {
      if (err instanceof Refusal) throw err
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new Refusal(40009, 'media')
      throw new Refusal(41005, 'media')
    }
    if (file === undefined) throw new Refusal(41005, 'media')
    const recorded = { media: { filename: file.filename, contentType: file.contentType, size: file.bytes.length, sha256: createHash('sha256').update(file.bytes).digest('hex') } }
    if (!/^image\/(jpeg|png|gif|bmp)$/.test(file.contentType)) return { answer: refusal(40005, 'media'), body: recorded }
    if (file.bytes.length === 0) return { answer: refusal(40009, 'media'), body: recorded }
    const failed = injected('media/upload')
    if (failed !== undefined) return { answer: failed, body: recorded }
    const mediaId = addMedia(appid, file.bytes, file.contentType, file.filename)
    const createdAt = Math.floor(Date.now() / 1000)
    return { answer: { errcode: 0, errmsg: 'ok', extra: { type: 'image', media_id: mediaId, created_at: createdAt } }, body: recorded }
  }

  // A chosen media_id (the demo's fixed ones) may exist for several mini programs: keyed with the appid.
  function addMedia (appid: string, bytes: Uint8Array, contentType: string, filename = 'image', chosen?: string, options: { chunked?: boolean } = {}): string {
    const mediaId = chosen ?? randomBytes(36).toString('base64url')
    mediaStore.set(chosen === undefined ? mediaId : `${appid}\n${mediaId}`, { appid, bytes: Buffer.from(bytes), contentType, filename, chunked: options.chunked === true, createdAt: Date.now() })
    return mediaId
  }

  /** The body in chunks, each counted as the connection takes it: a client that stops reading stops the count. */
  function mediaBody (bytes: Buffer): Readable {
    const CHUNK = 64 * 1024
    let offset = 0
    return new Readable({
      highWaterMark: CHUNK,
      read () {
        if (offset >= bytes.length) {
          this.push(null)
          return
        }
        const part = bytes.subarray(offset, offset + CHUNK)
        offset += part.length
        mediaBytesSent += part.length
        this.push(part)
      }
    })
  }

  function findMedia (appid: string | undefined, mediaId: string): (FakeMedia & { createdAt: number }) | undefined {
    const found = mediaStore.get(`${appid}\n${mediaId}`) ?? mediaStore.get(mediaId)
    return found?.appid === appid ? found : undefined
  }

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async function fakeWechat (request, reply) {
      const path = request.url.split('?')[0] ?? ''
      const route = ROUTES.find((r) => r.path === path)
      if (route === undefined) {
        record(request, 'unknown', undefined, undefined, undefined, 40066)
        return send(reply, { status: 404, ...refusal(40066) })
      }
      const { api } = route
      await hangIfTold(api)
      if (closing) return send(reply, refusal(-1))
      let token: TokenStatus | undefined
      let appid: string | undefined
      let recordedBody: unknown
      let answer: Answer
      try {
        if (request.method !== route.method) throw new Refusal(route.method === 'GET' ? 43001 : 43002)
        if (api !== 'stable_token') {
          const checked = checkToken(request)
          token = checked.status
          appid = checked.appid
          const refused = tokenRefusal(checked.status)
          if (refused !== undefined) {
            record(request, api, token, appid, jsonBodyForRecord(request), refused.errcode)
            return send(reply, refused)
          }
        }
        if (api === 'media/upload') {
          const done = await upload(request, appid as string)
          recordedBody = done.body
          answer = done.answer
        } else if (api === 'media/get') {
          const query = request.query as Record<string, unknown>
          for (const key of Object.keys(query)) if (key !== 'access_token' && key !== 'media_id') throw new Refusal(40035, key)
          if (typeof query.media_id !== 'string' || query.media_id === '') throw new Refusal(41006)
          const media = findMedia(appid, query.media_id)
          if (media === undefined) throw new Refusal(40007)
          const failed = injected('media/get')
          if (failed !== undefined) {
            answer = failed
          } else {
            record(request, api, token, appid, undefined, 0)
            void reply.code(200).type(media.contentType).header('content-disposition', contentDisposition(media.filename))
            if (!media.chunked) void reply.header('content-length', media.bytes.length)
            return reply.send(mediaBody(media.bytes))
          }
        } else {
          const query = request.query as Record<string, unknown>
          for (const key of Object.keys(query)) if (key !== 'access_token') throw new Refusal(40035, key)
          if (api === 'stable_token') tokenRequests++
          const body = parseJsonBody(request.body)
          recordedBody = body
          if (api === 'stable_token') {
            const done = await stableToken(body)
            appid = done.appid
            answer = done.answer
          } else if (api === 'custom/send') {
            answer = customSend(appid as string, body)
          } else if (api === 'subscribe/send') {
            answer = subscribeSend(appid as string, body)
          } else {
            answer = typing(body)
          }
        }
      } catch (err) {
        if (!(err instanceof Refusal)) throw err
        if (recordedBody === undefined) recordedBody = jsonBodyForRecord(request)
        answer = refusal(err.errcode, err.hint, err.errmsg)
      }
      record(request, api, token, appid, recordedBody, answer.errcode)
      return send(reply, answer)
    }
  })

  await options.extend?.(app)
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0

  function appsOf (appid?: string): string[] {
    return appid === undefined ? [...current.keys()] : [appid]
  }

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    get requests () { return requests },
    get tokenRefreshes () { return tokenRefreshes },
    get forcedRefreshes () { return forcedRefreshes },
    get tokenRequests () { return tokenRequests },
    get maxConcurrentTokenRequests () { return maxConcurrentTokenRequests },
    get mediaBytesSent () { return mediaBytesSent },
    messages (appid) {
      return requests.filter((r) => r.api === 'custom/send' && r.errcode === 0 && (appid === undefined || r.appid === appid)).map((r) => r.body)
    },
    subscribeMessages (appid) {
      return subscribeSent.filter((s) => appid === undefined || s.appid === appid)
    },
    grantSubscription (appid, openid, templateId, sends = 1) {
      const key = grantKey(appid, openid, templateId)
      const left = grants.get(key) ?? 0
      grants.set(key, sends === 'long-term' || left === 'long-term' ? 'long-term' : left + sends)
    },
    revokeSubscription (appid, openid, templateId) {
      grants.delete(grantKey(appid, openid, templateId))
    },
    subscriptionsLeft (appid, openid, templateId) {
      return grants.get(grantKey(appid, openid, templateId)) ?? 0
    },
    failNext (api, errcode, opts = {}) {
      const times = opts.times ?? 1
      const queue = failures.get(api) ?? []
      for (let i = 0; i < times; i++) queue.push(opts.errmsg === undefined ? { errcode } : { errcode, errmsg: opts.errmsg })
      failures.set(api, queue)
    },
    holdTokenRequests () {
      if (tokenHold === undefined) {
        tokenHold = new Promise<void>((resolve) => { releaseTokenHold = resolve })
      }
      const release = releaseTokenHold as () => void
      return () => {
        if (releaseTokenHold === release) {
          tokenHold = undefined
          releaseTokenHold = undefined
        }
        release()
      }
    },
    async hangNext (api, times = 1) {
      hangs.set(api, (hangs.get(api) ?? 0) + times)
      await once(events, `hang:${api}`)
    },
    expireTokens (appid) {
      for (const id of appsOf(appid)) {
        const live = liveToken(id)
        if (live !== undefined) live.state.status = 'expired'
      }
    },
    invalidateTokens (appid) {
      for (const id of appsOf(appid)) {
        const live = liveToken(id)
        if (live !== undefined) live.state.status = 'invalid'
      }
    },
    issueToken (appid, ttl) {
      const live = liveToken(appid)
      if (live !== undefined) live.state.status = 'invalid'
      return mint(appid, ttl)
    },
    currentToken (appid = FAKE_APP.appid) {
      return current.get(appid)
    },
    addMedia,
    forgetMedia (mediaId) {
      for (const [key, media] of [...mediaStore]) {
        if (mediaId === undefined || key === mediaId || key === `${media.appid}\n${mediaId}`) mediaStore.delete(key)
      }
    },
    media (mediaId) {
      const found = mediaStore.get(mediaId) ?? [...mediaStore].find(([key]) => key.endsWith(`\n${mediaId}`))?.[1]
      return found === undefined ? undefined : { appid: found.appid, bytes: found.bytes, contentType: found.contentType, filename: found.filename, chunked: found.chunked }
    },
    async waitForRequest (match, timeoutMs = 5000) {
      const seen = requests.find(match)
      if (seen !== undefined) return seen
      const ac = new AbortController()
      const timer = setTimeout(() => { ac.abort(new Error(`the fake WeChat API received no matching request within ${timeoutMs} ms`)) }, timeoutMs)
      try {
        for (;;) {
          const [entry] = await once(events, 'request', { signal: ac.signal }) as [RecordedRequest]
          if (match(entry)) return entry
        }
      } catch (err) {
        throw ac.signal.aborted ? ac.signal.reason : err
      } finally {
        clearTimeout(timer)
      }
    },
    addApp (appid, secret) {
      apps.set(appid, secret)
    },
    clearRequests () {
      requests = []
      tokenRefreshes = 0
      forcedRefreshes = 0
      tokenRequests = 0
      maxConcurrentTokenRequests = 0
      mediaBytesSent = 0
    },
    async close () {
      closing = true
      releaseTokenHold?.()
      for (const release of [...hung]) release()
      await app.close()
    }
  }
}

type FieldType = 'string' | 'boolean' | 'object'

/** WeChat-like strictness: every required field present with its type, nothing else. */
function exactFields (value: Record<string, unknown>, path: string, required: Record<string, FieldType>, optional: Record<string, FieldType>): void {
  for (const key of Object.keys(value)) {
    if (!(key in required) && !(key in optional)) throw new Refusal(40035, `${path}${key}`)
  }
  for (const [key, type] of Object.entries({ ...required, ...optional })) {
    const present = key in value
    if (!present) {
      if (key in required) throw new Refusal(40035, `${path}${key}`)
      continue
    }
    const v = value[key]
    const ok = type === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === type
    if (!ok) throw new Refusal(40035, `${path}${key}`)
  }
}

function checkOpenid (openid: unknown): void {
  if (typeof openid !== 'string' || !/^[A-Za-z0-9_-]{6,64}$/.test(openid)) throw new Refusal(40003, 'touser')
}

function parseJsonBody (raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || (Buffer.isBuffer(raw) && raw.length === 0)) throw new Refusal(44002)
  let value: unknown
  try {
    value = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw))
  } catch {
    throw new Refusal(47001)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Refusal(47001)
  return value as Record<string, unknown>
}

/** An ASCII fallback name and the UTF-8 one (RFC 6266): header values must be Latin-1. */
function contentDisposition (filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

function jsonBodyForRecord (request: FastifyRequest): unknown {
  const raw = request.body
  if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return raw.toString('utf8')
  }
}
