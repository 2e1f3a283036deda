// Kept media: where files are kept (media-store.ts: files or S3), fetching them from WeChat (media-fetcher.ts, driven
// by the history worker), opening them for the page (media-library.ts, media-misses.ts) and GET /api/media (routes.ts).
export { default, type MediaRoutesOptions as MediaOptions } from './routes.js'
export { MediaFetcher, MediaFetchError, tooLarge, type FetchedMedia } from './media-fetcher.js'
export { MediaLibrary } from './media-library.js'
export { createMemoryUnknownMedia, createRedisUnknownMedia } from './media-misses.js'
export { createMediaStore, FsMediaStore, mediaKey, S3MediaStore, type MediaStore, type MediaStoreConfig } from './media-store.js'
