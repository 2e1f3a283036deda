// The Mini programs page and its API, for owners only: list (searched and paged on the server), add, edit, rotate
// the EncodingAESKey, disable / enable, test the AppSecret against WeChat. No answer ever carries a stored secret:
// only its last four characters.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { escapeHtml } from '@kefu/service'
import { pickLang } from '@kefu/sso-client'
import { ReadOnlyMiniProgram, type MiniProgram, type MiniProgramInput } from '@kefu/mini-programs'
import { WechatApiError } from '@kefu/wechat-api'
import { ownerOf } from '../common/guards.js'
import { sendFeaturePage } from '../common/page.js'
import type { WechatSender } from '../common/sender.js'
import optionsRoutes, { optionsView, type OptionsView } from './options-routes.js'
import { MiniProgramStats, type Stats } from './stats.js'
import { formProblems, lastFour, text, type Lang } from './validate.js'

export interface MiniProgramsRoutesOptions {
  /** Where WeChat reaches ingest (INGEST_PUBLIC_URL): the push URL is `<it>/wechat/<appid>`. */
  ingestUrl: string
  sender: WechatSender
  now: () => number
}

const PAGE_SIZE = 20
const appidParams = { type: 'object', required: ['appid'], properties: { appid: { type: 'string', pattern: '^wx[0-9A-Za-z]{16}$' } } } as const
const formBody = { type: 'object', maxProperties: 16 } as const

/** What any answer says of a mini program: no secret, only the last four characters of each. */
export interface MiniProgramView {
  appid: string
  name: string | null
  originalId: string | null
  messageFormat: 'json' | 'xml'
  enabled: boolean
  managedBy: 'configuration' | 'console' | 'component'
  changedBy: string | null
  changedAt: string
  token: string | null
  encodingAESKey: string | null
  previousEncodingAESKey: string | null
  secret: string | null
  /** What to paste into WeChat's message-push settings, apart from the secrets the owner entered. */
  push: { url: string, format: 'JSON' | 'XML', mode: 'safe' | 'plain' }
  options: OptionsView
  stats?: Stats
}

export default async function miniProgramsRoutes (fastify: FastifyInstance, opts: MiniProgramsRoutesOptions): Promise<void> {
  const registry = fastify.miniPrograms
  const stats = new MiniProgramStats(fastify.prisma, opts.now)
  const lang = (request: FastifyRequest): Lang => pickLang(request.headers['accept-language'])
  // The list sorted once per change, not once per request (10,000 rows: a sort is most of a page's cost).
  let sorted: MiniProgram[] | undefined
  const stopWatching = registry.onChange(() => { sorted = undefined })
  fastify.addHook('onClose', async () => { stopWatching() })

  function view (p: MiniProgram): MiniProgramView {
    return {
      appid: p.appid,
      name: p.name ?? null,
      originalId: p.originalId ?? null,
      messageFormat: p.messageFormat,
      enabled: p.enabled,
      managedBy: p.source,
      changedBy: p.changedBy ?? null,
      changedAt: p.changedAt.toISOString(),
      token: lastFour(p.token),
      encodingAESKey: lastFour(p.encodingAESKey),
      previousEncodingAESKey: lastFour(p.previousEncodingAESKey),
      secret: lastFour(p.secret),
      push: { url: p.source === 'component' ? `${opts.ingestUrl}/wechat/component/${p.appid}` : `${opts.ingestUrl}/wechat/${p.appid}`, format: p.messageFormat === 'xml' ? 'XML' : 'JSON', mode: p.encodingAESKey === undefined ? 'plain' : 'safe' },
      options: optionsView(p, lastFour)
    }
  }
  await optionsRoutes(fastify, { view, readOnly: (reply, appid, request) => readOnly(reply, appid, lang(request)) })

  function refuse (reply: FastifyReply, problems: string[]): FastifyReply {
    return reply.code(400).send({ statusCode: 400, code: 'KEFU_CONSOLE_BAD_MINI_PROGRAM', error: 'Bad Request', message: problems.join('; '), problems })
  }

  function found (appid: string, reply: FastifyReply): MiniProgram | undefined {
    const p = registry.find(appid)
    if (p === undefined) void reply.code(404).send({ statusCode: 404, code: 'KEFU_CONSOLE_NOT_FOUND', error: 'Not Found', message: `no mini program ${appid}` })
    return p
  }

  function readOnly (reply: FastifyReply, appid: string, l: Lang, source: MiniProgram['source'] = 'configuration'): FastifyReply {
    if (source === 'component') {
      return reply.code(409).send({
        statusCode: 409, code: 'KEFU_CONSOLE_MANAGED_BY_COMPONENT', error: 'Conflict',
        message: l === 'en' ? `mini program ${appid} is served through the third-party platform: its credentials are WeChat's to give` : `小程序 ${appid} 经第三方平台授权：其凭据由微信授权提供`
      })
    }
    return reply.code(409).send({
      statusCode: 409, code: 'KEFU_CONSOLE_MANAGED_BY_CONFIGURATION', error: 'Conflict',
      message: l === 'en' ? `mini program ${appid} is managed by configuration (WECHAT_APPS): change it there` : `小程序 ${appid} 由配置（WECHAT_APPS）管理：请在那里修改`
    })
  }

  async function save (request: FastifyRequest, reply: FastifyReply, input: MiniProgramInput, by: string): Promise<MiniProgram | undefined> {
    try {
      await registry.save(input, by)
    } catch (err) {
      if (err instanceof ReadOnlyMiniProgram) { readOnly(reply, input.appid, lang(request)); return undefined }
      throw err
    }
    return registry.find(input.appid)
  }

  fastify.get<{ Querystring: { q?: string, page?: number } }>('/api/mini-programs', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { q: { type: 'string', maxLength: 64 }, page: { type: 'integer', minimum: 1, maximum: 100_000 } } } }
  }, async function list (request) {
    await ownerOf(request, 'manage mini programs')
    const q = (request.query.q ?? '').trim().toLowerCase()
    const page = request.query.page ?? 1
    const all = sorted ??= registry.list()
    const matching = q === '' ? all : all.filter((p) => p.appid.includes(q) || (p.name ?? '').toLowerCase().includes(q) || (p.originalId ?? '').toLowerCase().includes(q))
    const shown = matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
    const figures = await stats.of(shown.map((p) => p.appid))
    return {
      total: matching.length,
      page,
      pageSize: PAGE_SIZE,
      items: shown.map((p) => ({ ...view(p), stats: figures.get(p.appid) }))
    }
  })

  fastify.post<{ Body: Record<string, unknown> }>('/api/mini-programs', { schema: { body: formBody } }, async function add (request, reply) {
    const owner = await ownerOf(request, 'add mini programs')
    const l = lang(request)
    const problems = formProblems(request.body, l, ['appid', 'token'])
    if (problems.length > 0) return refuse(reply, problems)
    const b = request.body as Record<string, string | undefined>
    const appid = b.appid!
    if (registry.find(appid) !== undefined || await fastify.prisma.miniProgram.count({ where: { appId: appid } }) > 0) {
      return reply.code(409).send({ statusCode: 409, code: 'KEFU_CONSOLE_MINI_PROGRAM_EXISTS', error: 'Conflict', message: text(l).exists(appid) })
    }
    const saved = await save(request, reply, {
      appid,
      token: b.token!,
      ...(b.encodingAESKey === undefined || b.encodingAESKey === '' ? {} : { encodingAESKey: b.encodingAESKey }),
      ...(b.secret === undefined || b.secret === '' ? {} : { secret: b.secret }),
      ...(b.name === undefined || b.name === '' ? {} : { name: b.name }),
      ...(b.originalId === undefined || b.originalId === '' ? {} : { originalId: b.originalId }),
      messageFormat: b.messageFormat === 'xml' ? 'xml' : 'json'
    }, owner.username)
    if (saved === undefined) return reply
    // Whoever adds it serves it, so that they can assign its agents on the team page.
    await fastify.consoleStore.assign(owner.username, [appid])
    request.log.info({ appid, by: owner.username }, 'mini program added')
    return reply.code(201).send({ miniProgram: view(saved) })
  })

  fastify.get<{ Params: { appid: string } }>('/api/mini-programs/:appid', { schema: { params: appidParams } }, async function one (request, reply) {
    await ownerOf(request, 'manage mini programs')
    const p = found(request.params.appid, reply)
    if (p === undefined) return reply
    return { miniProgram: { ...view(p), stats: (await stats.of([p.appid])).get(p.appid) } }
  })

  // Edit: the fields given replace the stored ones; a secret left out (or empty) is kept.
  fastify.put<{ Params: { appid: string }, Body: Record<string, unknown> }>('/api/mini-programs/:appid', {
    schema: { params: appidParams, body: formBody }
  }, async function edit (request, reply) {
    const owner = await ownerOf(request, 'change mini programs')
    const l = lang(request)
    const problems = formProblems({ ...request.body, ...(request.body.appid === undefined ? {} : { appid: request.body.appid }) }, l, [])
    if (request.body.appid !== undefined && request.body.appid !== request.params.appid) problems.push(text(l).appid)
    if (problems.length > 0) return refuse(reply, problems)
    const p = found(request.params.appid, reply)
    if (p === undefined) return reply
    if (p.source !== 'console') return readOnly(reply, p.appid, l, p.source)
    const b = request.body as Record<string, string | undefined>
    const given = (k: string): string | undefined => b[k] === undefined || b[k] === '' ? undefined : b[k]
    const saved = await save(request, reply, {
      ...current(p),
      token: given('token') ?? p.token,
      ...(given('secret') === undefined ? {} : { secret: given('secret') }),
      ...(given('encodingAESKey') === undefined ? {} : { encodingAESKey: given('encodingAESKey') }),
      ...(given('name') === undefined ? {} : { name: given('name') }),
      ...(given('originalId') === undefined ? {} : { originalId: given('originalId') }),
      messageFormat: b.messageFormat === 'xml' || b.messageFormat === 'json' ? b.messageFormat : p.messageFormat
    }, owner.username)
    if (saved === undefined) return reply
    return { miniProgram: view(saved) }
  })

  // A new EncodingAESKey; the one it replaces keeps opening pushes (previousEncodingAESKey) until the next rotation,
  // so the pushes WeChat encrypted before the owner saved the new key in WeChat's settings are still stored.
  fastify.post<{ Params: { appid: string }, Body: { encodingAESKey: string } }>('/api/mini-programs/:appid/rotate-key', {
    schema: { params: appidParams, body: { type: 'object', required: ['encodingAESKey'], additionalProperties: false, properties: { encodingAESKey: { type: 'string', maxLength: 64 } } } }
  }, async function rotate (request, reply) {
    const owner = await ownerOf(request, 'rotate keys')
    const l = lang(request)
    const problems = formProblems({ encodingAESKey: request.body.encodingAESKey }, l, ['encodingAESKey'])
    if (problems.length > 0) return refuse(reply, problems)
    const p = found(request.params.appid, reply)
    if (p === undefined) return reply
    if (p.source !== 'console') return readOnly(reply, p.appid, l, p.source)
    const saved = await save(request, reply, {
      ...current(p),
      encodingAESKey: request.body.encodingAESKey,
      ...(p.encodingAESKey === undefined ? {} : { previousEncodingAESKey: p.encodingAESKey })
    }, owner.username)
    if (saved === undefined) return reply
    request.log.info({ appid: p.appid, by: owner.username }, 'EncodingAESKey rotated')
    return { miniProgram: view(saved) }
  })

  fastify.put<{ Params: { appid: string }, Body: { enabled: boolean } }>('/api/mini-programs/:appid/enabled', {
    schema: { params: appidParams, body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } } } }
  }, async function setEnabled (request, reply) {
    const owner = await ownerOf(request, 'disable or enable mini programs')
    const p = found(request.params.appid, reply)
    if (p === undefined) return reply
    try {
      await registry.setEnabled(p.appid, request.body.enabled, owner.username)
    } catch (err) {
      if (err instanceof ReadOnlyMiniProgram) return readOnly(reply, p.appid, lang(request))
      throw err
    }
    request.log.info({ appid: p.appid, enabled: request.body.enabled, by: owner.username }, 'mini program enabled or disabled')
    return { miniProgram: view(registry.find(p.appid)!) }
  })

  // "Test": an access token from WeChat with the stored AppSecret, now; what failed, in words.
  fastify.post<{ Params: { appid: string } }>('/api/mini-programs/:appid/test', { schema: { params: appidParams } }, async function test (request, reply) {
    await ownerOf(request, 'test mini programs')
    const l = lang(request)
    const p = found(request.params.appid, reply)
    if (p === undefined) return reply
    if (p.secret === undefined) {
      return { ok: false, errcode: null, explanation: l === 'en' ? 'No AppSecret is stored: add it (edit) to reply from kefu.' : '未保存 AppSecret：编辑并填入后才能从 kefu 回复。' }
    }
    try {
      await opts.sender.verify(p.appid, p.secret)
      return { ok: true, errcode: 0, explanation: l === 'en' ? 'WeChat gave an access token: the AppSecret works from this server.' : '已从微信取得 access_token：AppSecret 正确，本服务器可以调用接口。' }
    } catch (err) {
      if (!(err instanceof WechatApiError)) throw err
      return { ok: false, errcode: err.errcode, explanation: err.explain(l === 'en' ? 'en' : 'zh') }
    }
  })

  fastify.get('/mini-programs', async function page (request, reply) {
    const l = lang(request)
    const user = await request.ssoUser()
    if (user === null) return reply.redirect(fastify.sso.loginPath('/mini-programs'), 303)
    const agent = await request.agent()
    const owner = (await fastify.team.profile(agent.username)).owner
    const nonce = randomBytes(16).toString('base64')
    const title = l === 'en' ? 'Mini programs' : '小程序管理'
    const body = owner
      ? `<div id="mini-programs" data-ingest-url="${escapeHtml(opts.ingestUrl)}"></div>
<noscript>JavaScript is required.</noscript>
<script src="/assets/mini-programs/mini-programs.js" type="module" nonce="${nonce}"></script>`
      : `<main><h1>${escapeHtml(title)}</h1><p role="alert">${escapeHtml(l === 'en' ? 'Only an owner may manage mini programs.' : '只有所有者可以管理小程序。')}</p><p><a href="/">${escapeHtml(l === 'en' ? 'Back to the console' : '返回工作台')}</a></p></main>`
    return sendFeaturePage(reply, {
      status: owner ? 200 : 403,
      lang: l,
      title,
      csp: `default-src 'none'; script-src 'self' 'nonce-${nonce}'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      stylesheet: '/assets/mini-programs/mini-programs.css',
      bodyClass: 'mini-programs',
      body
    })
  })
}

/** The fields of a stored mini program that an edit keeps, secrets included (they never leave the server). */
function current (p: MiniProgram): MiniProgramInput {
  const { appid, token, encodingAESKey, previousEncodingAESKey, secret, transferCustomerService, profileUrl, profileSecret, subscribeTemplates, name, originalId, messageFormat, enabled } = p
  const input: MiniProgramInput = { appid, token, messageFormat, enabled }
  const optional = { encodingAESKey, previousEncodingAESKey, secret, transferCustomerService, profileUrl, profileSecret, subscribeTemplates, name, originalId }
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (input as unknown as Record<string, unknown>)[k] = v
  return input
}
