// Kept history as the console reads it: the parts of @kefu/history's worker (its jobs run here only with
// `worker: true`) and the media library the media route, uploads and the timeline read. No routes: search, media and
// reports serve what the worker keeps.
import fp from 'fastify-plugin'
import { createMemoryUnknownMedia, createRedisUnknownMedia, DEFAULT_MEDIA_MAX_BYTES, history, mediaDownload, type HistoryOptions, type MediaSource } from '@kefu/history'
import type { WechatSender } from '../common/sender.js'
import { MediaLibrary } from '../media/media-library.js'

export { DEFAULT_MEDIA_MAX_BYTES, readHistoryConfig, type HistoryConfig } from '@kefu/history'

declare module 'fastify' {
  interface FastifyInstance {
    /** Kept media: the proxy, uploads, the timeline's media states. */
    mediaLibrary: MediaLibrary
  }
}

export interface ConsoleHistoryOptions extends HistoryOptions {
  /** Redis keys of this console start with it (default `kefu:console:`). */
  redisPrefix?: string
}

export default fp<ConsoleHistoryOptions & { sender: WechatSender }>(async function consoleHistory (fastify, opts) {
  const { redisPrefix, sender, ...options } = opts
  const source: MediaSource = { getMedia: async (appId, mediaId) => await sender.getMedia(appId, mediaId), failure: (err) => sender.failure(err, 'en') }
  await fastify.register(history, { ...options, source })
  const maxBytes = opts.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES
  const unknown = fastify.redis === null
    ? createMemoryUnknownMedia()
    : createRedisUnknownMedia(fastify.redis, (redisPrefix ?? 'kefu:console:') + 'media-unknown:')
  fastify.decorate('mediaLibrary', new MediaLibrary(fastify.prisma, fastify.history.store, fastify.history.fetcher, { download: mediaDownload(source, maxBytes), maxBytes, unknown }))
}, { name: 'kefu-console-history', dependencies: ['kefu-database', 'kefu-redis', 'kefu-bus'] })
