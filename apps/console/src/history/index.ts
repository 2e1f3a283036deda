// Kept history as the console reads it: the media store the worker (apps/worker, @kefu/history's jobs) fills, and the
// media library the media route, uploads and the timeline read. No background work and no routes here: search, media
// and reports serve what the worker keeps.
import fp from 'fastify-plugin'
import {
  createMediaStore, createMemoryUnknownMedia, createRedisUnknownMedia, DEFAULT_MEDIA_MAX_BYTES, mediaDownload, S3MediaStore,
  type MediaStore, type MediaStoreConfig
} from '@kefu/history'
import type { WechatSender } from '../common/sender.js'
import { MediaLibrary } from '../media/media-library.js'

export { DEFAULT_MEDIA_MAX_BYTES, readHistoryConfig, type HistoryConfig } from '@kefu/history'

declare module 'fastify' {
  interface FastifyInstance {
    /** Kept media: the proxy, uploads, the timeline's media states. */
    mediaLibrary: MediaLibrary
  }
}

export interface ConsoleHistoryOptions {
  /** MEDIA_STORE and its settings, the worker's: a store, or its configuration (default: files under DATA_DIR/media). */
  store: MediaStore | MediaStoreConfig
  /** MEDIA_MAX_BYTES (default 10 MiB), for media no message names yet, fetched when an agent opens them. */
  maxBytes?: number
  /** Redis keys of this console start with it (default `kefu:console:`). */
  redisPrefix?: string
}

export default fp<ConsoleHistoryOptions & { sender: WechatSender }>(async function consoleHistory (fastify, opts) {
  const store = 'put' in opts.store ? opts.store : createMediaStore(opts.store)
  if (store instanceof S3MediaStore) fastify.addHook('onClose', async () => { store.destroy() })
  const maxBytes = opts.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES
  const sender = opts.sender
  const download = mediaDownload({ getMedia: async (appId, mediaId) => await sender.getMedia(appId, mediaId), failure: (err) => sender.failure(err, 'en') }, maxBytes)
  const unknown = fastify.redis === null
    ? createMemoryUnknownMedia()
    : createRedisUnknownMedia(fastify.redis, (opts.redisPrefix ?? 'kefu:console:') + 'media-unknown:')
  fastify.decorate('mediaLibrary', new MediaLibrary(fastify.prisma, store, { download, maxBytes, unknown }))
}, { name: 'kefu-console-history', dependencies: ['kefu-database', 'kefu-redis'] })
