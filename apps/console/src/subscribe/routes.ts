import type { FastifyInstance } from 'fastify'
import type { SubscribeTemplate } from '@kefu/service'
import { canSend, type MiniProgramLookup } from '../common/mini-programs.js'
import { pickLang } from '@kefu/sso-client'
import { NoSecret, NoSuchConversation, TooManyReplies } from '../common/errors.js'
import type { RateLimiter } from '../common/rate-limit.js'
import type { WechatSender } from '../common/sender.js'
import { BadSubscribeMessage, NoSubscription, NoSuchTemplate } from './subscribe-errors.js'
import { draftProblems, fieldRule, subscribeBody, type SubscribeDraft } from './subscribe-message.js'
import { SubscribeStore, type RefusalEffect, type Subscription } from './subscribe-store.js'
import { OUTBOUND_CHANNEL } from '../live/index.js'
import { agentOf, conversationParams, type ConversationParams } from '../common/guards.js'
import { ENTER_WINDOW_QUOTA, MESSAGE_WINDOW_QUOTA } from '../conversations/index.js'

export interface SubscribeRoutesOptions {
  /** The mini programs as they are now: their templates and AppSecrets. */
  apps: MiniProgramLookup
  sender: WechatSender
  /** The replies limiter: a subscribe message counts as a reply of the agent's. */
  replyLimiter: RateLimiter
  now: () => number
}

const TEXT = {
  'zh-CN': {
    closed: '回复窗口已关闭：客服消息只能在用户发消息后 48 小时内（或进入会话后 1 分钟内）回复。用户同意过的订阅消息仍可发送。',
    used: (n: number) => `本窗口可回复的 ${n} 条消息已用完：用户再发消息后才能继续回复。用户同意过的订阅消息仍可发送。`,
    noneAccepted: '用户没有可用的订阅：需用户在小程序中同意订阅消息后才能发送。',
    noTemplate: (id: string) => `该小程序没有配置订阅消息模板 ${id}（WECHAT_APPS 的 subscribeTemplates）`,
    noSends: (title: string) => `用户对“${title}”没有剩余的订阅次数：需用户在小程序中再次同意订阅。`
  },
  en: {
    closed: 'The reply window is closed: customer-service replies are possible within 48 hours of the customer’s message (or a minute after they open the chat). Subscribe messages the customer accepted can still be sent.',
    used: (n: number) => `This window’s ${n} replies are used up: replies resume when the customer writes again. Subscribe messages the customer accepted can still be sent.`,
    noneAccepted: 'The customer has no subscription to use: they must accept a subscribe message in the mini program first.',
    noTemplate: (id: string) => `this mini program has no subscribe-message template ${id} (subscribeTemplates in WECHAT_APPS)`,
    noSends: (title: string) => `The customer has no sends left for “${title}”: they must accept it again in the mini program.`
  }
}

const draftSchema = {
  type: 'object',
  // Not additionalProperties: false, which Fastify's validator answers by dropping the property, not refusing it.
  propertyNames: { enum: ['templateId', 'fields', 'query'] },
  required: ['templateId', 'fields'],
  properties: {
    templateId: { type: 'string', minLength: 1, maxLength: 128 },
    fields: { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 200 } },
    query: { type: 'string', maxLength: 1024 }
  }
} as const

/** WeChat's 47003 names the field it refused (`data.thing2.value invalid`): keep that part, drop its rid. */
function refusalText (failure: { errcode: number, errmsg: string, explanation: string }): string {
  const field = failure.errcode === 47003 ? /data\.[\w.]+/.exec(failure.errmsg)?.[0] : undefined
  return field === undefined ? failure.explanation : `${failure.explanation} (${field})`
}

/**
 * Subscribe messages (订阅消息): how WeChat lets kefu reach a customer after the reply window has closed, one send per
 * acceptance of a template. The customer's quota comes from WeChat's own events (ingest's trigger); a send takes one
 * before WeChat is called and gives it back if WeChat refuses.
 */
export default async function subscribeRoutes (fastify: FastifyInstance, opts: SubscribeRoutesOptions): Promise<void> {
  const store = new SubscribeStore(fastify.prisma)
  // Per mini program, made again when its row changes (the registry hands out a new object then).
  const made = new WeakMap<object, Map<string, SubscribeTemplate>>()
  const templates = {
    get (appid: string): Map<string, SubscribeTemplate> | undefined {
      const app = opts.apps.find(appid)
      if (app === undefined) return undefined
      let found = made.get(app)
      if (found === undefined) made.set(app, found = new Map((app.subscribeTemplates ?? []).map((t) => [t.templateId, t])))
      return found
    }
  }
  const withSecret = { has: (appid: string) => canSend(opts.apps, appid) }

  function announce (item: { id: string, appId: string, openid: string }): void {
    fastify.bus.publish(OUTBOUND_CHANNEL, JSON.stringify({ outbound: [{ id: item.id, appId: item.appId, openid: item.openid }] })).catch((err: Error) => {
      fastify.log.warn({ err: err.message }, 'outbound update not announced')
    })
  }

  function offer (template: SubscribeTemplate, subscription: Subscription, lang: 'zh-CN' | 'en'): Record<string, unknown> {
    return {
      templateId: template.templateId,
      title: template.title,
      page: template.page ?? null,
      longTerm: template.longTerm,
      fields: template.fields.map((f) => ({ key: f.key, kind: f.kind, label: f.label, ...(f.values === undefined ? {} : { values: f.values }), rule: fieldRule(f, lang) })),
      remaining: subscription.remaining,
      subscribed: subscription.subscribed,
      available: template.longTerm ? subscription.subscribed : subscription.remaining > 0
    }
  }

  fastify.get<{ Params: ConversationParams }>('/api/conversations/:appid/:openid/subscriptions', {
    schema: { params: conversationParams }
  }, async function subscriptions (request) {
    const { appid, openid } = request.params
    await agentOf(request, appid)
    const lang = pickLang(request.headers['accept-language'])
    const summary = await fastify.consoleStore.conversation(appid, openid)
    if (summary === null) throw new NoSuchConversation()
    const quotas = await store.subscriptions(appid, openid)
    const offered = [...(templates.get(appid)?.values() ?? [])].map((t) => offer(t, quotas.get(t.templateId) ?? { remaining: 0, subscribed: false }, lang))
    // Closed (48 hours, or a minute after entering, went by) or used up (the window's replies were all sent).
    const w = summary.window
    const why = w.reason === 'closed' ? TEXT[lang].closed : TEXT[lang].used(w.reason === 'enter' ? ENTER_WINDOW_QUOTA : MESSAGE_WINDOW_QUOTA)
    const notice = w.open ? null : offered.some((o) => o.available === true) ? why : `${why} ${TEXT[lang].noneAccepted}`
    return { window: summary.window, notice, canSend: withSecret.has(appid), templates: offered }
  })

  // Every subscribe template of the agent's mini programs: how the page names them in timelines and previews.
  fastify.get('/api/subscribe-templates', async function subscribeTemplates (request) {
    const agent = await request.agent()
    return {
      templates: agent.apps.flatMap((appId) => [...(templates.get(appId)?.values() ?? [])].map((t) => ({
        appId, templateId: t.templateId, title: t.title, fields: t.fields.map((f) => ({ key: f.key, label: f.label }))
      })))
    }
  })

  fastify.post<{ Params: ConversationParams, Body: SubscribeDraft }>('/api/conversations/:appid/:openid/subscribe-messages', {
    schema: { params: conversationParams, body: draftSchema }
  }, async function sendSubscribeMessage (request, reply) {
    const { appid, openid } = request.params
    const agent = await agentOf(request, appid)
    const lang = pickLang(request.headers['accept-language'])
    if (!withSecret.has(appid)) throw new NoSecret(appid)
    const template = templates.get(appid)?.get(request.body.templateId)
    if (template === undefined) throw new NoSuchTemplate(TEXT[lang].noTemplate(request.body.templateId))
    const problems = draftProblems(template, request.body, lang)
    if (problems.length > 0) throw new BadSubscribeMessage(problems.join(lang === 'en' ? '; ' : '；'))
    if (await fastify.consoleStore.conversation(appid, openid) === null) throw new NoSuchConversation()
    const limited = await opts.replyLimiter.hit(agent.username)
    if (!limited.allowed) {
      void reply.header('retry-after', String(limited.retryAfterS))
      throw new TooManyReplies(limited.retryAfterS)
    }

    const body = subscribeBody(template, request.body)
    const taken = await store.take({ appId: appid, openid, templateId: template.templateId, longTerm: template.longTerm, body, agent: agent.username })
    if (taken === null) throw new NoSubscription(TEXT[lang].noSends(template.title))
    announce(taken.item)
    let item
    try {
      const { msgId } = await opts.sender.sendSubscribe(appid, openid, body)
      item = await store.sent(taken, msgId, new Date(opts.now()))
    } catch (err) {
      const failure = opts.sender.failure(err, lang)
      let effect: RefusalEffect
      if (failure !== null) effect = failure.errcode === 43101 ? 'none-left' : 'give-back'
      else effect = opts.sender.mayHaveTakenEffect(err) ? 'keep' : 'give-back'
      request.log.info({ appid, errcode: failure?.errcode, effect, err: failure === null ? (err as Error).message : undefined }, 'subscribe message not sent')
      // No answer from WeChat: -2, as replies record it, with the client's own explanation (network, timeout, token).
      const explain = (err as { explain?: (lang: 'zh' | 'en') => string }).explain
      const unanswered = { errcode: -2, errmsg: typeof explain === 'function' ? explain.call(err, lang === 'en' ? 'en' : 'zh') : 'network error' }
      item = await store.failed(taken, failure === null ? unanswered : { errcode: failure.errcode, errmsg: refusalText(failure) }, effect)
    }
    announce(item)
    const subscription = await store.subscription(appid, openid, template.templateId)
    return reply.code(201).send({ message: item, subscription: offer(template, subscription, lang) })
  })
}
