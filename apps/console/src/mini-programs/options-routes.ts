// PUT /api/mini-programs/:appid/options, for owners: what a mini program may do beyond receiving (subscribe-message
// templates, transfer to WeChat's customer-service tool, the profile lookup), for the mini programs added here and
// those authorized through the third-party platform alike (whose credentials are WeChat's, but whose options are
// the team's). A row of WECHAT_APPS is changed there. The profile secret is never sent back: its last four only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ConfigError } from '@kefu/service'
import { ReadOnlyMiniProgram, type MiniProgram, type MiniProgramOptions } from '@kefu/mini-programs'
import { ownerOf } from '../common/guards.js'

const appidParams = { type: 'object', required: ['appid'], properties: { appid: { type: 'string', pattern: '^wx[0-9A-Za-z]{16}$' } } } as const
const optionsBody = {
  type: 'object',
  // Refused, not dropped (Fastify's Ajv removes additional properties): a misspelt option must not clear one.
  propertyNames: { enum: ['transferCustomerService', 'profileUrl', 'profileSecret', 'subscribeTemplates'] },
  properties: {
    transferCustomerService: { type: 'boolean' },
    profileUrl: { type: 'string', maxLength: 2048 },
    profileSecret: { type: 'string', maxLength: 256 },
    subscribeTemplates: { type: 'array', maxItems: 50 }
  }
} as const

export interface OptionsView { transferCustomerService: boolean, profileUrl: string | null, profileSecret: string | null, subscribeTemplates: unknown[] }

/** The options as any answer gives them: the profile secret as its last four characters. */
export function optionsView (p: MiniProgram, lastFour: (value: string | undefined) => string | null): OptionsView {
  return {
    transferCustomerService: p.transferCustomerService === true,
    profileUrl: p.profileUrl ?? null,
    profileSecret: lastFour(p.profileSecret),
    subscribeTemplates: p.subscribeTemplates ?? []
  }
}

export interface OptionsRoutesOptions {
  view: (p: MiniProgram) => unknown
  readOnly: (reply: FastifyReply, appid: string, request: FastifyRequest) => FastifyReply
}

export default async function optionsRoutes (fastify: FastifyInstance, opts: OptionsRoutesOptions): Promise<void> {
  const registry = fastify.miniPrograms
  fastify.put<{ Params: { appid: string }, Body: MiniProgramOptions }>('/api/mini-programs/:appid/options', {
    schema: { params: appidParams, body: optionsBody }
  }, async function saveOptions (request, reply) {
    const owner = await ownerOf(request, 'change mini programs')
    const { appid } = request.params
    const b = request.body
    const options: MiniProgramOptions = {}
    if (b.transferCustomerService !== undefined) options.transferCustomerService = b.transferCustomerService
    if (b.profileUrl !== undefined && b.profileUrl !== '') options.profileUrl = b.profileUrl
    if (b.profileSecret !== undefined && b.profileSecret !== '') options.profileSecret = b.profileSecret
    if (b.subscribeTemplates !== undefined && b.subscribeTemplates.length > 0) options.subscribeTemplates = b.subscribeTemplates
    let saved: boolean
    try {
      saved = await registry.saveOptions(appid, options, owner.username)
    } catch (err) {
      if (err instanceof ReadOnlyMiniProgram) return opts.readOnly(reply, appid, request)
      if (err instanceof ConfigError) return reply.code(400).send({ statusCode: 400, code: 'KEFU_CONSOLE_BAD_MINI_PROGRAM', error: 'Bad Request', message: err.message, problems: [err.message] })
      throw err
    }
    if (!saved) return reply.code(404).send({ statusCode: 404, code: 'KEFU_CONSOLE_NOT_FOUND', error: 'Not Found', message: `no mini program ${appid}` })
    request.log.info({ appid, by: owner.username }, 'mini program options changed')
    return { miniProgram: opts.view(registry.find(appid)!) }
  })
}
