// Kept media as the console serves them: opening them for the page (media-library.ts) and GET /api/media
// (routes.ts). Where they are kept and how they are fetched from WeChat is @kefu/history's (the worker's jobs).
export { default, type MediaRoutesOptions as MediaOptions } from './routes.js'
export { MediaLibrary } from './media-library.js'
