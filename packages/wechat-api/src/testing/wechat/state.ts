// What the fake WeChat remembers, shared by its APIs and the handle startFakeWechat returns: the apps, tokens, media,
// templates and grants, the failures and hangs asked for, every request it answered and its counters; and the small
// helpers over it (recording a request, checking and minting tokens, injected failures, hangs, media lookups).
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { FastifyRequest } from 'fastify'
import { refusal, type Answer } from './refusals.js'
import type { FakeApi, FakeMedia, FakeSubscribeSend, FakeSubscribeTemplate, FakeWechatOptions, RecordedRequest, TokenStatus } from './types.js'

export interface TokenState { appid: string, status: 'valid' | 'expired' | 'invalid', expiresAt: number }
export type StoredMedia = FakeMedia & { createdAt: number }

export interface WechatState {
  /** The secret of each mini program stable_token accepts, by appid. */
  readonly apps: Map<string, string>
  readonly ttlSeconds: number
  readonly tokenDelayMs: number
  readonly maxImageBytes: number
  readonly tokens: Map<string, TokenState>
  /** The token stable_token hands out now, by appid. */
  readonly current: Map<string, string>
  readonly mediaStore: Map<string, StoredMedia>
  readonly failures: Map<FakeApi, Array<{ errcode: number, errmsg?: string }>>
  readonly templates: Map<string, Map<string, FakeSubscribeTemplate>>
  readonly pages: Map<string, Set<string>>
  /** The subscribe sends left, by grantKey. */
  readonly grants: Map<string, number | 'long-term'>
  readonly subscribeSent: FakeSubscribeSend[]
  subscribeSeq: bigint
  readonly hangs: Map<FakeApi, number>
  readonly hung: Set<() => void>
  /** Emits `request` for every request recorded, `hang:<api>` when a call starts hanging. */
  readonly events: EventEmitter
  requests: RecordedRequest[]
  tokenRefreshes: number
  forcedRefreshes: number
  tokenRequests: number
  tokensInFlight: number
  maxConcurrentTokenRequests: number
  tokenSeq: number
  mediaBytesSent: number
  closing: boolean
  tokenHold: Promise<void> | undefined
  releaseTokenHold: (() => void) | undefined
}

/** A fake WeChat's state before its first request, from the options startFakeWechat was given. */
export function createWechatState (options: FakeWechatOptions, defaultApps: ReadonlyArray<{ appid: string, secret: string }>): WechatState {
  const events = new EventEmitter()
  events.setMaxListeners(0)
  return {
    apps: new Map((options.apps ?? defaultApps).map((a) => [a.appid, a.secret])),
    ttlSeconds: options.tokenTtlSeconds ?? 7200,
    tokenDelayMs: options.tokenDelayMs ?? 0,
    maxImageBytes: options.maxImageBytes ?? 10 * 1024 * 1024,
    tokens: new Map(),
    current: new Map(),
    mediaStore: new Map(),
    failures: new Map(),
    templates: new Map(Object.entries(options.subscribeTemplates ?? {}).map(([appid, list]) => [appid, new Map(list.map((tpl) => [tpl.templateId, tpl]))])),
    pages: new Map(Object.entries(options.pages ?? {}).map(([appid, list]) => [appid, new Set(list.map((p) => p.replace(/^\//, '')))])),
    grants: new Map(),
    subscribeSent: [],
    subscribeSeq: 3248682510344192008n,
    hangs: new Map(),
    hung: new Set(),
    events,
    requests: [],
    tokenRefreshes: 0,
    forcedRefreshes: 0,
    tokenRequests: 0,
    tokensInFlight: 0,
    maxConcurrentTokenRequests: 0,
    tokenSeq: 0,
    mediaBytesSent: 0,
    closing: false,
    tokenHold: undefined,
    releaseTokenHold: undefined
  }
}

/** Records a request the fake answered (the query without `access_token`) and tells waitForRequest. */
export function record (state: WechatState, request: FastifyRequest, api: FakeApi | 'unknown', token: TokenStatus | undefined, appid: string | undefined, body: unknown, errcode: number): void {
  const query: Record<string, string> = {}
  for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) {
    if (k !== 'access_token') query[k] = String(v)
  }
  const entry: RecordedRequest = { api, method: request.method, path: request.url.split('?')[0] ?? '', query, token, appid, body, errcode, at: Date.now() }
  state.requests.push(entry)
  state.events.emit('request', entry)
}

/** What the fake thinks of the request's access_token, and whose it is; a valid token past its time expires. */
export function checkToken (state: WechatState, request: FastifyRequest): { status: TokenStatus, appid?: string } {
  const raw = (request.query as Record<string, unknown>).access_token
  if (typeof raw !== 'string' || raw === '') return { status: 'missing' }
  const tokenState = state.tokens.get(raw)
  if (tokenState === undefined) return { status: 'unknown' }
  if (tokenState.status === 'valid' && Date.now() >= tokenState.expiresAt) tokenState.status = 'expired'
  return { status: tokenState.status, appid: tokenState.appid }
}

/** The refusal of a call whose token is `status`, if any. */
export function tokenRefusal (status: TokenStatus): Answer | undefined {
  if (status === 'missing') return refusal(41001)
  if (status === 'unknown' || status === 'invalid') return refusal(40001)
  if (status === 'expired') return refusal(42001)
  return undefined
}

/** The next failure failNext asked of `api`, used up, if any. */
export function injected (state: WechatState, api: FakeApi): Answer | undefined {
  const queue = state.failures.get(api)
  const next = queue?.shift()
  if (next === undefined) return undefined
  return refusal(next.errcode, undefined, next.errmsg)
}

/** Waits until close() when hangNext asked a call to `api` to hang (and tells hangNext it has). */
export async function hangIfTold (state: WechatState, api: FakeApi): Promise<void> {
  const left = state.hangs.get(api) ?? 0
  if (left <= 0) return
  state.hangs.set(api, left - 1)
  state.events.emit(`hang:${api}`)
  await new Promise<void>((resolve) => {
    const release = (): void => { state.hung.delete(release); resolve() }
    state.hung.add(release)
  })
}

/** A new token for `appid`, the one stable_token hands out from now on (counted as a refresh). */
export function mint (state: WechatState, appid: string, ttl = state.ttlSeconds): string {
  state.tokenSeq++
  const token = `${state.tokenSeq}_${randomBytes(60).toString('base64url')}`
  state.tokens.set(token, { appid, status: 'valid', expiresAt: Date.now() + ttl * 1000 })
  state.current.set(appid, token)
  state.tokenRefreshes++
  return token
}

/** The app's current token while it is valid (a valid token past its time expires). */
export function liveToken (state: WechatState, appid: string): { token: string, state: TokenState } | undefined {
  const token = state.current.get(appid)
  if (token === undefined) return undefined
  const tokenState = state.tokens.get(token) as TokenState
  if (tokenState.status === 'valid' && Date.now() >= tokenState.expiresAt) tokenState.status = 'expired'
  return tokenState.status === 'valid' ? { token, state: tokenState } : undefined
}

/** The key of a customer's subscription to a template, in `grants`. */
export function grantKey (appid: string, openid: string, templateId: string): string {
  return `${appid}\u0000${openid}\u0000${templateId}`
}

/**
 * Stores media of `appid` (a random media_id unless `chosen`); returns the media_id. A chosen media_id (the demo's
 * fixed ones) may exist for several mini programs: keyed with the appid.
 */
export function addMedia (state: WechatState, appid: string, bytes: Uint8Array, contentType: string, filename = 'image', chosen?: string, options: { chunked?: boolean } = {}): string {
  const mediaId = chosen ?? randomBytes(36).toString('base64url')
  state.mediaStore.set(chosen === undefined ? mediaId : `${appid}\n${mediaId}`, { appid, bytes: Buffer.from(bytes), contentType, filename, chunked: options.chunked === true, createdAt: Date.now() })
  return mediaId
}

/** The media `mediaId` of `appid`, if it has it. */
export function findMedia (state: WechatState, appid: string | undefined, mediaId: string): StoredMedia | undefined {
  const found = state.mediaStore.get(`${appid}\n${mediaId}`) ?? state.mediaStore.get(mediaId)
  return found?.appid === appid ? found : undefined
}
