// Kept history, shared by the worker (apps/worker), which runs its jobs, and the console, which reads what they keep:
// - media-store.ts: where kept media live (files under DATA_DIR/media, or S3); media-fetcher.ts: fetching pending
//   media from WeChat (claimed FOR UPDATE SKIP LOCKED); media-misses.ts: media_ids WeChat does not know.
// - history-indexer.ts: message_search and the pending media kept in step with the messages; search-tokens.ts: the
//   tokens it writes and the console's search reads.
// - report-rollup.ts: the team reports' roll-up (report_daily, report_episode), folded from cursors; report-episodes.ts:
//   the episodes statement it shares with the console's reports.
// - retention.ts (RETENTION_DAYS, an advisory lock) and partitions.ts (customer_message's months ahead).
// - worker.ts: the plugin that runs them (subscriptions and timers), or only makes its parts (`worker: false`).
// - history-config.ts: MEDIA_*, RETENTION_DAYS, read alike by the worker and the console.
export { default as history, mediaDownload, DEFAULT_MEDIA_MAX_BYTES, type HistoryOptions, type HistoryParts, type MediaSource } from './worker.js'
export { readHistoryConfig, type HistoryConfig } from './history-config.js'
export { MediaFetcher, MediaFetchError, tooLarge, type FetchedMedia, type MediaFetcherOptions } from './media-fetcher.js'
export { createMediaStore, FsMediaStore, mediaKey, S3MediaStore, type MediaStore, type MediaStoreConfig } from './media-store.js'
export { createMemoryUnknownMedia, createRedisUnknownMedia, UNKNOWN_MEDIA_TTL_MS, UNKNOWN_MEDIA_MEMORY_ENTRIES, type UnknownMedia } from './media-misses.js'
export { HistoryIndexer, WECHAT_MEDIA_TTL_MS, inboundContent, outboundText, type HistoryIndexerOptions } from './history-indexer.js'
export { compileQuery, documentTokens, normalize, MAX_LEXEMES, MAX_QUERY_LENGTH, type CompiledQuery } from './search-tokens.js'
export { PURGE_LOCK, RetentionJob, type PurgeResult, type RetentionOptions } from './retention.js'
export { ensurePartitions, PARTITION_MONTHS_AHEAD } from './partitions.js'
export { ReportRollup, ROLLUP_CURSORS, dayStart, refreshDurationsSql, type FoldResult, type ReportRollupOptions } from './report-rollup.js'
export { episodesSql, DAY_OFFSET, DAY_OFFSET_S, EPISODE_GAP_S, NO_END_S } from './report-episodes.js'
