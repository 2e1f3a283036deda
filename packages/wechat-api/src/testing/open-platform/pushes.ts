// The fake Open Platform's pushes, encrypted with the platform's token and key as WeChat encrypts them: the
// authorization events (tickets, authorized, unauthorized…), customers' messages, and the release test (全网发布).
import { randomBytes, randomInt } from 'node:crypto'
import { computeSignature, PushCrypto, stringifyFlatXml, type PushFieldObject } from '@kefu/wechat-crypto'
import { RELEASE_TEST_MINI_PROGRAMS } from '../../component.js'
import type { FakeOpenPlatform, PushResult } from './types.js'
import { grantAuthorization } from './authorization-page.js'
import { secret, type PlatformState } from './state.js'

export type PlatformPushes = Pick<FakeOpenPlatform, 'pushTicket' | 'pushAuthorized' | 'withdraw' | 'pushEvent' | 'pushMessage' | 'releaseTest'>

export function platformPushes (state: PlatformState): PlatformPushes {
  const { component, authCodeTtl } = state
  const crypto = new PushCrypto({ appid: component.appid, token: component.token, encodingAESKey: component.encodingAESKey })

  async function post (url: string, query: Record<string, string>, body: string): Promise<PushResult> {
    const target = new URL(url)
    for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v)
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'text/xml' }, body })
    return { status: res.status, body: await res.text() }
  }

  function envelope (fields: PushFieldObject, outer: PushFieldObject, opts: { tamper?: boolean, timestamp?: string, nonce?: string } = {}): { query: Record<string, string>, body: string } {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000).toString()
    const nonce = opts.nonce ?? randomInt(1e9, 1e10 - 1).toString()
    const reply = crypto.encryptReply(stringifyFlatXml(fields), timestamp, nonce)
    const msgSignature = opts.tamper === true ? reply.MsgSignature.replace(/^./, (c) => (c === '0' ? '1' : '0')) : reply.MsgSignature
    return {
      query: { signature: computeSignature(component.token, timestamp, nonce), timestamp, nonce, encrypt_type: 'aes', msg_signature: msgSignature },
      body: stringifyFlatXml({ ...outer, Encrypt: reply.Encrypt })
    }
  }

  async function pushEvent (fields: PushFieldObject): Promise<PushResult> {
    if (state.eventsUrl === undefined) throw new Error('setEventsUrl first: the fake Open Platform has nowhere to push authorization events')
    const { query, body } = envelope(fields, { AppId: component.appid })
    return await post(state.eventsUrl, query, body)
  }

  async function pushAuthorized (appid: string, code: string, infoType: 'authorized' | 'updateauthorized' = 'authorized'): Promise<PushResult> {
    const now = Math.floor(Date.now() / 1000)
    return await pushEvent({
      AppId: component.appid,
      CreateTime: now,
      InfoType: infoType,
      AuthorizerAppid: appid,
      AuthorizationCode: code,
      AuthorizationCodeExpiredTime: now + authCodeTtl,
      PreAuthCode: `preauthcode@@@${randomBytes(12).toString('base64url')}`
    })
  }

  return {
    async pushTicket () {
      const ticket = secret(state, `ticket@@@${randomBytes(40).toString('base64url')}`)
      state.tickets.set(ticket, Date.now())
      const result = await pushEvent({ AppId: component.appid, CreateTime: Math.floor(Date.now() / 1000), InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket })
      return { ...result, ticket }
    },
    pushAuthorized,
    async withdraw (appid) {
      const auth = state.authorizations.get(appid)
      if (auth !== undefined) auth.authorized = false
      state.wechat!.invalidateTokens(appid)
      return await pushEvent({ AppId: component.appid, CreateTime: Math.floor(Date.now() / 1000), InfoType: 'unauthorized', AuthorizerAppid: appid })
    },
    pushEvent,
    async pushMessage (urlTemplate, appid, fields, opts = {}) {
      const { query, body } = envelope(fields, { ToUserName: fields.ToUserName ?? '' }, opts)
      if (typeof fields.FromUserName === 'string') query.openid = fields.FromUserName
      return await post(urlTemplate.replace('$APPID$', appid), query, body)
    },
    async releaseTest (urlTemplate, kind = 'query_auth_code') {
      const [appid, userName] = [...RELEASE_TEST_MINI_PROGRAMS][randomInt(RELEASE_TEST_MINI_PROGRAMS.size)]!
      const openid = `oRelease${randomBytes(10).toString('hex')}`
      const code = kind === 'text' ? '' : grantAuthorization(state, appid)
      const fields = {
        ToUserName: userName,
        FromUserName: openid,
        CreateTime: Math.floor(Date.now() / 1000),
        MsgType: 'text',
        Content: kind === 'text' ? 'TESTCOMPONENT_MSG_TYPE_TEXT' : `QUERY_AUTH_CODE:${code}`,
        MsgId: BigInt(randomInt(1e9, 1e10 - 1)) * 1_000_000_000n + BigInt(randomInt(1e9 - 1))
      }
      const { query, body } = envelope(fields, { ToUserName: userName })
      query.openid = openid
      return { ...await post(urlTemplate.replace('$APPID$', appid), query, body), appid, openid, code }
    }
  }
}
