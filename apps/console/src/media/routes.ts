import type { FastifyInstance } from 'fastify'
import { NoSuchApp, WechatUnavailable } from '../common/errors.js'
import { MediaGone, MediaPending, MediaUnknown } from '../common/history-errors.js'
import { MediaFetchError } from '@kefu/history'

export interface MediaRoutesOptions {
  /** How long a request waits for a media the worker is fetching (default 8 s). */
  waitMs?: number
}

/**
 * GET /api/media/:appid/:mediaId — a kept media file (images users sent, images agents uploaded), for agents of
 * that mini program only. Kept copies never change: cached by the browser for a year, revalidated by ETag. One kefu
 * gave up on (WeChat no longer has it, too large, removed with its message) is 410; one WeChat does not know and no
 * message names is 404; one being fetched is 503 with Retry-After.
 */
export default async function mediaRoutes (fastify: FastifyInstance, opts: MediaRoutesOptions): Promise<void> {
  fastify.get<{ Params: { appid: string, mediaId: string } }>('/api/media/:appid/:mediaId', {
    schema: {
      params: {
        type: 'object',
        required: ['appid', 'mediaId'],
        properties: { appid: { type: 'string', pattern: '^wx[0-9A-Za-z]{16}$' }, mediaId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,256}$' } }
      }
    }
  }, async function media (request, reply) {
    const { appid, mediaId } = request.params
    const agent = await request.agent()
    if (!agent.apps.includes(appid)) throw new NoSuchApp()
    let opened
    try {
      opened = await fastify.mediaLibrary.open(appid, mediaId, opts.waitMs ?? 8000)
    } catch (err) {
      if (err instanceof MediaFetchError) {
        if (err.permanent) throw new MediaUnknown(err.message)
        throw new WechatUnavailable(err.message)
      }
      throw err
    }
    if (!opened.found) {
      const state = opened.state
      if (state?.status === 'pending') {
        void reply.header('retry-after', '5')
        throw new MediaPending(state.error === undefined ? `attempt ${state.attempts}` : `attempt ${state.attempts}: ${state.error}`)
      }
      if (state?.status === 'failed') throw new MediaGone(state.error)
      throw new MediaUnknown(state?.status === 'unknown' ? state.error : 'nothing is kept under this media_id')
    }
    const image = /^image\/(jpeg|png|gif|webp|bmp)$/.test(opened.contentType)
    void reply
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('etag', opened.etag)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
    if (!image) void reply.header('content-disposition', 'attachment')
    if (request.headers['if-none-match'] === opened.etag) return reply.code(304).send()
    return reply.type(image ? opened.contentType : 'application/octet-stream').send(opened.body)
  })
}
