import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import multipart from '@fastify/multipart'
import { isUnavailable } from '@kefu/service'
import { pickLang } from '@kefu/sso-client'
import { AlreadyRetried, BadUpload, NoSecret, NoSuchReply, NotFailed, NoSuchApp, NoSuchConversation, TooManyReplies, WechatUnavailable, WindowClosed } from '../common/errors.js'
import { countBlockedReply } from './reply-blocked.js'
import type { RateLimiter } from '../common/rate-limit.js'
import type { OutboundBody, WechatSender } from '../common/sender.js'
import type { Agent } from '../common/agent.js'
import type { ConversationView, StatusFilter } from './store.js'

export const OUTBOUND_CHANNEL = 'kefu:outbound'

export interface ApiRoutesOptions {
  sender: WechatSender
  /** appids whose AppSecret is configured (replies need it). */
  /** Known, enabled and with an AppSecret now (the mini_program table, a memory lookup). */
  canReply: (appid: string) => boolean
  /** The mini program's name, if it has one (quick replies' {{mini_program.name}}). */
  appName: (appid: string) => string | undefined
  replyLimiter: RateLimiter
}

interface ConversationParams { appid: string, openid: string }

type ReplyBody =
  | { type: 'text', text: string }
  | { type: 'image', mediaId: string }
  | { type: 'link', title: string, description: string, url: string, thumbUrl: string }
  | { type: 'miniprogrampage', title: string, pagePath: string, thumbMediaId: string }

const conversationParams = {
  type: 'object',
  required: ['appid', 'openid'],
  properties: { appid: { type: 'string', pattern: '^wx[0-9A-Za-z]{16}$' }, openid: { type: 'string', minLength: 1, maxLength: 128 } }
} as const
const shortText = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const
const replySchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['type', 'text'], properties: { type: { const: 'text' }, text: shortText(2000) } },
    { type: 'object', additionalProperties: false, required: ['type', 'mediaId'], properties: { type: { const: 'image' }, mediaId: shortText(256) } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'title', 'description', 'url', 'thumbUrl'],
      properties: { type: { const: 'link' }, title: shortText(64), description: shortText(256), url: { type: 'string', pattern: '^https?://', maxLength: 1024 }, thumbUrl: { type: 'string', pattern: '^https?://', maxLength: 1024 } }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'title', 'pagePath', 'thumbMediaId'],
      properties: { type: { const: 'miniprogrampage' }, title: shortText(64), pagePath: shortText(512), thumbMediaId: shortText(256) }
    }
  ]
} as const

function toWechat (body: ReplyBody): OutboundBody {
  switch (body.type) {
    case 'text': return { msgtype: 'text', text: { content: body.text } }
    case 'image': return { msgtype: 'image', image: { media_id: body.mediaId } }
    case 'link': return { msgtype: 'link', link: { title: body.title, description: body.description, url: body.url, thumb_url: body.thumbUrl } }
    case 'miniprogrampage': return { msgtype: 'miniprogrampage', miniprogrampage: { title: body.title, pagepath: body.pagePath, thumb_media_id: body.thumbMediaId } }
  }
}

const WINDOW_TEXT = {
  'zh-CN': {
    closed: '回复窗口已关闭：用户发消息后 48 小时内可回复 5 条，进入客服会话后 1 分钟内可回复 2 条。',
    used: '本窗口的回复条数已用完：请等待用户再次发送消息。'
  },
  en: {
    closed: 'The reply window is closed: WeChat allows 5 replies within 48 hours of the user’s message, 2 within a minute of entering the chat.',
    used: 'This window’s replies are used up: wait for the user to write again.'
  }
}

export default async function apiRoutes (fastify: FastifyInstance, opts: ApiRoutesOptions): Promise<void> {
  const store = fastify.consoleStore
  const withSecret = { has: opts.canReply }
  // outcome: sent, refused (WeChat's errcode), failed (no answer: errcode -2), window_closed, limited (our own refusals).
  const replies = fastify.metrics.counter('kefu_console_replies_total', 'Agent replies by outcome and WeChat errcode', ['outcome', 'errcode'])
  await fastify.register(multipart, { limits: { fileSize: 10 * 1024 * 1024, files: 1, fields: 0, parts: 1 } })

  fastify.addHook('onSend', async (_request, reply) => {
    if (reply.getHeader('cache-control') === undefined) void reply.header('cache-control', 'no-store')
  })

  async function appOf (request: FastifyRequest, appid: string): Promise<Agent> {
    const agent = await request.agent()
    if (!agent.apps.includes(appid)) throw new NoSuchApp()
    return agent
  }

  function announce (item: { id: string, appId: string, openid: string }): void {
    fastify.bus.publish(OUTBOUND_CHANNEL, JSON.stringify({ outbound: [{ id: item.id, appId: item.appId, openid: item.openid }] })).catch((err: Error) => {
      fastify.log.warn({ err: err.message }, 'outbound update not announced')
    })
  }

  fastify.get('/api/me', async function me (request) {
    const agent = await request.agent()
    const { role, owner, availability, notifyDesktop, notifySound } = await fastify.team.profile(agent.username)
    const settings = new Map((await fastify.team.settings(agent.apps)).map((s) => [s.appId, s]))
    return {
      username: agent.username,
      apps: agent.apps.map((appId) => ({ appId, name: opts.appName(appId) ?? null, canReply: withSecret.has(appId), profileLookup: fastify.profileLookup.configured(appId), autoAssign: settings.get(appId)!.autoAssign, maxOpenPerAgent: settings.get(appId)!.maxOpenPerAgent })),
      role,
      owner,
      availability,
      notifications: { desktop: notifyDesktop, sound: notifySound }
    }
  })

  fastify.get<{ Querystring: { limit?: number, appid?: string, before_at?: number, before_app?: string, before_openid?: string, view?: ConversationView, status?: StatusFilter, tag?: string } }>('/api/conversations', {
    schema: {
      querystring: {
        type: 'object',
        properties: {
          view: { type: 'string', enum: ['mine', 'unassigned', 'all'], default: 'all' },
          status: { type: 'string', enum: ['open', 'pending', 'resolved', 'snoozed', 'all'], default: 'open' },
          tag: { type: 'string', minLength: 1, maxLength: 32 },
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 30 },
          appid: { type: 'string' },
          before_at: { type: 'integer', minimum: 0 },
          before_app: { type: 'string' },
          before_openid: { type: 'string' }
        }
      }
    }
  }, async function conversations (request) {
    const agent = await request.agent()
    const q = request.query
    const apps = q.appid === undefined ? agent.apps : agent.apps.filter((a) => a === q.appid)
    const limit = q.limit ?? 30
    const before = q.before_at !== undefined && q.before_app !== undefined && q.before_openid !== undefined
      ? { at: q.before_at, appId: q.before_app, openid: q.before_openid }
      : undefined
    const list = await store.conversations(apps, limit, before, { view: q.view, username: agent.username, status: q.status, tag: q.tag })
    const last = list.at(-1)
    return {
      conversations: list,
      next: list.length === limit && last !== undefined ? { before_at: last.lastMessageAt, before_app: last.appId, before_openid: last.openid } : null
    }
  })

  fastify.get<{ Params: ConversationParams, Querystring: { before?: number, limit?: number } }>('/api/conversations/:appid/:openid', {
    schema: {
      params: conversationParams,
      querystring: { type: 'object', properties: { before: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } }
    }
  }, async function conversation (request) {
    const { appid, openid } = request.params
    await appOf(request, appid)
    const summary = await store.conversation(appid, openid)
    if (summary === null) throw new NoSuchConversation()
    const messages = await fastify.mediaLibrary.annotate(await store.timeline(appid, openid, request.query.limit ?? 50, request.query.before))
    return { conversation: summary, messages }
  })

  fastify.post<{ Params: ConversationParams }>('/api/conversations/:appid/:openid/read', { schema: { params: conversationParams } }, async function read (request, reply) {
    await appOf(request, request.params.appid)
    await store.markRead(request.params.appid, request.params.openid)
    return reply.code(204).send()
  })

  /**
   * One attempt at a reply: the window and the agent's rate checked first, then recorded as `sending`, sent, and
   * recorded as sent or failed (with WeChat's reason in the agent's language).
   */
  async function attempt (request: FastifyRequest, reply: FastifyReply, appid: string, openid: string, agent: Agent, body: OutboundBody) {
    if (!withSecret.has(appid)) throw new NoSecret(appid)
    const summary = await store.conversation(appid, openid)
    if (summary === null) throw new NoSuchConversation()
    const text = WINDOW_TEXT[pickLang(request.headers['accept-language'])]
    // Checked before calling WeChat, which would answer 45015 / 45047 and count nothing.
    if (!summary.window.open) await countBlockedReply(fastify.prisma, appid, agent.username, summary.window.reason === 'closed' ? 'closed' : 'used', Date.now())
    if (!summary.window.open) replies.inc({ outcome: 'window_closed', errcode: '' })
    if (!summary.window.open) throw new WindowClosed(summary.window.reason === 'closed' ? text.closed : text.used)
    const limited = await opts.replyLimiter.hit(agent.username)
    if (!limited.allowed) {
      replies.inc({ outcome: 'limited', errcode: '' })
      void reply.header('retry-after', String(limited.retryAfterS))
      throw new TooManyReplies(limited.retryAfterS)
    }
    const created = await store.createOutbound({ appId: appid, openid, msgType: body.msgtype, content: JSON.stringify(body), agent: agent.username })
    announce(created)
    let item
    try {
      await opts.sender.send(appid, openid, body)
      replies.inc({ outcome: 'sent', errcode: '0' })
      item = await store.finishOutbound(created.rowId, { ok: true })
    } catch (err) {
      const failure = opts.sender.failure(err, pickLang(request.headers['accept-language']))
      if (failure === null) {
        request.log.warn({ err: (err as Error).message }, 'reply not delivered')
        replies.inc({ outcome: 'failed', errcode: '-2' })
        item = await store.finishOutbound(created.rowId, { ok: false, errcode: -2, errmsg: 'network error' })
      } else {
        request.log.info({ appid, errcode: failure.errcode }, 'WeChat refused the reply')
        replies.inc({ outcome: 'refused', errcode: String(failure.errcode) })
        item = await store.finishOutbound(created.rowId, { ok: false, errcode: failure.errcode, errmsg: failure.explanation })
      }
    }
    announce(item)
    return item
  }

  fastify.post<{ Params: ConversationParams, Body: ReplyBody }>('/api/conversations/:appid/:openid/messages', {
    schema: { params: conversationParams, body: replySchema }
  }, async function sendReply (request, reply) {
    const { appid, openid } = request.params
    const agent = await appOf(request, appid)
    const item = await attempt(request, reply, appid, openid, agent, toWechat(request.body))
    return reply.code(201).send({ message: item })
  })

  // A failed reply sent again, as it was: a new attempt (a new row in the timeline), the failed one kept as it is.
  fastify.post<{ Params: ConversationParams & { id: string } }>('/api/conversations/:appid/:openid/messages/:id/retry', {
    schema: { params: { ...conversationParams, required: ['appid', 'openid', 'id'], properties: { ...conversationParams.properties, id: { type: 'string', pattern: '^(out-)?[0-9]{1,18}$' } } } }
  }, async function retryReply (request, reply) {
    const { appid, openid } = request.params
    const agent = await appOf(request, appid)
    const failed = await store.failedReply(appid, openid, request.params.id.replace(/^out-/, ''))
    if (failed === null) throw new NoSuchReply()
    if (failed.status !== 'failed') throw new NotFailed(failed.status)
    if (failed.retried) throw new AlreadyRetried()
    const item = await attempt(request, reply, appid, openid, agent, failed.body)
    return reply.code(201).send({ message: item })
  })

  fastify.post<{ Params: ConversationParams, Body: { typing: boolean } }>('/api/conversations/:appid/:openid/typing', {
    schema: { params: conversationParams, body: { type: 'object', additionalProperties: false, required: ['typing'], properties: { typing: { type: 'boolean' } } } }
  }, async function typing (request, reply) {
    const { appid, openid } = request.params
    await appOf(request, appid)
    if (!withSecret.has(appid)) throw new NoSecret(appid)
    try {
      await opts.sender.typing(appid, openid, request.body.typing)
    } catch (err) {
      // Typing is a courtesy: a refusal (e.g. the window closed) is not the agent's problem.
      request.log.info({ err: (err as Error).message }, 'typing state not sent')
    }
    return reply.code(204).send()
  })

  fastify.post<{ Params: { appid: string } }>('/api/apps/:appid/images', {
    schema: { params: { type: 'object', required: ['appid'], properties: { appid: { type: 'string' } } } }
  }, async function uploadImage (request) {
    const { appid } = request.params
    await appOf(request, appid)
    if (!withSecret.has(appid)) throw new NoSecret(appid)
    if (!request.isMultipart()) throw new BadUpload('send the image as multipart/form-data')
    const file = await request.file()
    if (file === undefined) throw new BadUpload('no file in the upload')
    if (!/^image\/(jpeg|png|gif)$/.test(file.mimetype)) throw new BadUpload('images must be JPEG, PNG or GIF')
    const bytes = await file.toBuffer()
    if (file.file.truncated) throw new BadUpload('images must be at most 10 MB')
    let mediaId
    try {
      mediaId = await opts.sender.uploadImage(appid, bytes, file.filename || 'image', file.mimetype)
    } catch (err) {
      const failure = opts.sender.failure(err, pickLang(request.headers['accept-language']))
      if (failure === null && isUnavailable(err)) throw err // our token store is away (503), not WeChat
      throw new WechatUnavailable(failure?.explanation ?? (err as Error).message)
    }
    // Kept as sent, so the timeline still shows it after WeChat's 3 days.
    await fastify.mediaLibrary.keepUpload(appid, mediaId, bytes, file.mimetype)
    return { mediaId }
  })

}
