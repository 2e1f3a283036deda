// A local stand-in for WeChat's mini program server API: stable_token, custom/send, subscribe/send, typing,
// media/upload and media/get, strict where WeChat is, recording what it received and failing or hanging when told.
// This file is the one entry point: its routes, FAKE_APP and startFakeWechat, which joins the parts in wechat/.
import { once } from 'node:events'
import fastifyMultipart from '@fastify/multipart'
import Fastify from 'fastify'
import { jsonBodyForRecord, parseJsonBody, Refusal, refusal, send, type Answer } from './wechat/refusals.js'
import { addMedia, checkToken, createWechatState, grantKey, hangIfTold, injected, liveToken, mint, record, tokenRefusal } from './wechat/state.js'
import { customSend, subscribeSend, typing } from './wechat/message-apis.js'
import { requestedMedia, serveMedia, upload } from './wechat/media-apis.js'
import { stableToken } from './wechat/token-api.js'
import type { FakeApi, FakeWechat, FakeWechatOptions, RecordedRequest, TokenStatus } from './wechat/types.js'

export type { FakeApi, FakeMedia, FakeSubscribeSend, FakeSubscribeTemplate, FakeWechat, FakeWechatOptions, RecordedRequest, TokenStatus } from './wechat/types.js'

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

/**
 * A local stand-in for WeChat's server API at `https://api.weixin.qq.com`, strict where WeChat is and stricter where
 * a test benefits: every JSON body must have exactly the documented fields (unknown, missing or mistyped → 40035,
 * unparseable → 47001, empty → 44002), every call a live access_token. It records what it received and can be told
 * to fail. Listens on 127.0.0.1 on a free port.
 */
export async function startFakeWechat (options: FakeWechatOptions = {}): Promise<FakeWechat> {
  const state = createWechatState(options, [FAKE_APP])
  const { apps, current, mediaStore, failures, grants, subscribeSent, hangs, hung, events } = state

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1024 * 1024 })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
  await app.register(fastifyMultipart, { limits: { fileSize: state.maxImageBytes, files: 4, fields: 8, parts: 12 } })

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async function fakeWechat (request, reply) {
      const path = request.url.split('?')[0] ?? ''
      const route = ROUTES.find((r) => r.path === path)
      if (route === undefined) {
        record(state, request, 'unknown', undefined, undefined, undefined, 40066)
        return send(reply, { status: 404, ...refusal(40066) })
      }
      const { api } = route
      await hangIfTold(state, api)
      if (state.closing) return send(reply, refusal(-1))
      let token: TokenStatus | undefined
      let appid: string | undefined
      let recordedBody: unknown
      let answer: Answer
      try {
        if (request.method !== route.method) throw new Refusal(route.method === 'GET' ? 43001 : 43002)
        if (api !== 'stable_token') {
          const checked = checkToken(state, request)
          token = checked.status
          appid = checked.appid
          const refused = tokenRefusal(checked.status)
          if (refused !== undefined) {
            record(state, request, api, token, appid, jsonBodyForRecord(request), refused.errcode)
            return send(reply, refused)
          }
        }
        if (api === 'media/upload') {
          const done = await upload(state, request, appid as string)
          recordedBody = done.body
          answer = done.answer
        } else if (api === 'media/get') {
          const media = requestedMedia(state, request, appid)
          const failed = injected(state, 'media/get')
          if (failed !== undefined) {
            answer = failed
          } else {
            record(state, request, api, token, appid, undefined, 0)
            return serveMedia(state, reply, media)
          }
        } else {
          const query = request.query as Record<string, unknown>
          for (const key of Object.keys(query)) if (key !== 'access_token') throw new Refusal(40035, key)
          if (api === 'stable_token') state.tokenRequests++
          const body = parseJsonBody(request.body)
          recordedBody = body
          if (api === 'stable_token') {
            const done = await stableToken(state, body)
            appid = done.appid
            answer = done.answer
          } else if (api === 'custom/send') {
            answer = customSend(state, appid as string, body)
          } else if (api === 'subscribe/send') {
            answer = subscribeSend(state, appid as string, body)
          } else {
            answer = typing(state, body)
          }
        }
      } catch (err) {
        if (!(err instanceof Refusal)) throw err
        if (recordedBody === undefined) recordedBody = jsonBodyForRecord(request)
        answer = refusal(err.errcode, err.hint, err.errmsg)
      }
      record(state, request, api, token, appid, recordedBody, answer.errcode)
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
    get requests () { return state.requests },
    get tokenRefreshes () { return state.tokenRefreshes },
    get forcedRefreshes () { return state.forcedRefreshes },
    get tokenRequests () { return state.tokenRequests },
    get maxConcurrentTokenRequests () { return state.maxConcurrentTokenRequests },
    get mediaBytesSent () { return state.mediaBytesSent },
    messages (appid) {
      return state.requests.filter((r) => r.api === 'custom/send' && r.errcode === 0 && (appid === undefined || r.appid === appid)).map((r) => r.body)
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
      if (state.tokenHold === undefined) {
        state.tokenHold = new Promise<void>((resolve) => { state.releaseTokenHold = resolve })
      }
      const release = state.releaseTokenHold as () => void
      return () => {
        if (state.releaseTokenHold === release) {
          state.tokenHold = undefined
          state.releaseTokenHold = undefined
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
        const live = liveToken(state, id)
        if (live !== undefined) live.state.status = 'expired'
      }
    },
    invalidateTokens (appid) {
      for (const id of appsOf(appid)) {
        const live = liveToken(state, id)
        if (live !== undefined) live.state.status = 'invalid'
      }
    },
    issueToken (appid, ttl) {
      const live = liveToken(state, appid)
      if (live !== undefined) live.state.status = 'invalid'
      return mint(state, appid, ttl)
    },
    currentToken (appid = FAKE_APP.appid) {
      return current.get(appid)
    },
    addMedia (appid, bytes, contentType, filename, mediaId, opts) {
      return addMedia(state, appid, bytes, contentType, filename, mediaId, opts)
    },
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
      const seen = state.requests.find(match)
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
      state.requests = []
      state.tokenRefreshes = 0
      state.forcedRefreshes = 0
      state.tokenRequests = 0
      state.maxConcurrentTokenRequests = 0
      state.mediaBytesSent = 0
    },
    async close () {
      state.closing = true
      state.releaseTokenHold?.()
      for (const release of [...hung]) release()
      await app.close()
    }
  }
}
