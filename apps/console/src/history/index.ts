// The history worker (worker.ts): indexes every message for search, fetches kept media, catches up on missed
// announcements and applies retention (retention.ts), as its settings say (history-config.ts). No routes: search,
// media and reports serve what it keeps.
export { default, DEFAULT_MEDIA_MAX_BYTES, type HistoryOptions } from './worker.js'
export { readHistoryConfig, type HistoryConfig } from './history-config.js'
