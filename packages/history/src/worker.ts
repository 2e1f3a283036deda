import fp from 'fastify-plugin'
import { HistoryIndexer } from './history-indexer.js'
import { MediaFetcher, MediaFetchError, tooLarge, type FetchedMedia } from './media-fetcher.js'
import { createMediaStore, S3MediaStore, type MediaStore, type MediaStoreConfig } from './media-store.js'
import { ensurePartitions } from './partitions.js'
import { RetentionJob } from './retention.js'
import { ReportRollup } from './report-rollup.js'

/** Channels: ingest's stored pushes, the console's replies. */
const MESSAGES_CHANNEL = 'kefu:messages'
const OUTBOUND_CHANNEL = 'kefu:outbound'

declare module 'fastify' {
  interface FastifyInstance {
    /** The history worker's parts, for the routes and tests. */
    history: HistoryParts
  }
}

export interface HistoryParts { indexer: HistoryIndexer, fetcher: MediaFetcher, retention: RetentionJob, rollup: ReportRollup, store: MediaStore, catchUp: () => Promise<void>, fold: () => Promise<void> }

/** Where media come from: WeChat's temporary media API, and what its errors say (errcode and explanation). */
export interface MediaSource {
  getMedia: (appId: string, mediaId: string) => Promise<FetchedMedia>
  /** WeChat's answer in `err`, or null when `err` is not one (a network error, a client-side refusal). */
  failure: (err: unknown) => { errcode: number, explanation: string } | null
}

export interface HistoryOptions {
  /** Where media are kept: a store, or its configuration (default: files under DATA_DIR/media). */
  store: MediaStore | MediaStoreConfig
  /** MEDIA_MAX_BYTES (default 10 MiB); the WeChat client the sender wraps must stop downloads at the same limit. */
  maxBytes?: number
  /** MEDIA_FETCH_ATTEMPTS (default 8). */
  fetchAttempts?: number
  /** First retry delay of a failed fetch (default 5 s). */
  fetchBackoffMs?: number
  /** RETENTION_DAYS; null or undefined keeps everything. */
  retentionDays?: number | null
  /** How often rows whose announcement was missed are looked for (default 15 s), and how old they must be (60 s). */
  catchUpIntervalMs?: number
  catchUpLagMs?: number
  /** How often failed fetches are retried when due (default 5 s). */
  retryIntervalMs?: number
  /** How often retention runs (default 1 h; the first run 1 min after start). */
  retentionIntervalMs?: number
  /** How often customer_message's monthly partitions are created ahead (default 1 h; the first at start). */
  partitionIntervalMs?: number
  /** False: no background work in this instance (its parts still serve media and tests); default true. */
  worker?: boolean
  now?: () => number
}

export const DEFAULT_MEDIA_MAX_BYTES = 10 * 1024 * 1024

/**
 * Media fetched with `source` as the history worker records them: errors become MediaFetchError, permanent where
 * asking again cannot help (WeChat does not know the media_id, the file is too large, the mini program has no secret).
 */
export function mediaDownload (source: MediaSource, maxBytes: number): (appId: string, mediaId: string) => Promise<FetchedMedia> {
  return async (appId, mediaId) => {
    try {
      return await source.getMedia(appId, mediaId)
    } catch (err) {
      const failure = source.failure(err)
      // 40007: WeChat does not know the media_id (never, or no longer: it keeps temporary media 3 days).
      if (failure?.errcode === 40007) throw new MediaFetchError('no longer available from WeChat, which keeps media 3 days (errcode 40007)', true, 'unknown')
      if (failure?.errcode === 40004) throw new MediaFetchError(`WeChat: ${failure.explanation} (errcode 40004)`, true)
      if (failure !== null) throw new MediaFetchError(`WeChat: ${failure.explanation} (errcode ${failure.errcode})`, false)
      const code = (err as { code?: string }).code
      // The client stopped reading at the limit; an app without a secret cannot ask.
      if (code === 'KEFU_WECHAT_API_MEDIA_TOO_LARGE') throw tooLarge(maxBytes)
      if (code === 'KEFU_WECHAT_API_UNKNOWN_APP') throw new MediaFetchError((err as Error).message, true)
      throw err
    }
  }
}

/**
 * The history worker: indexes each announced message for search and queues its media, fetches queued media into the
 * media store (claimed in the database with FOR UPDATE SKIP LOCKED: one fetch per media across instances), catches up
 * on what was stored without an announcement (the cursor row locked, skipped by the others), creates
 * customer_message's monthly partitions ahead (an advisory lock) and applies retention (another). Any number of
 * instances may run it at once. Never on ingest's path: WeChat's 5-second acknowledgement does not wait for any of it.
 * With `worker: false` only its parts are made (`fastify.history`), for a process that reads what it keeps.
 */
export default fp<HistoryOptions & { source: MediaSource }>(async function history (fastify, opts) {
  const log = fastify.log.child({ part: 'history' })
  const store = 'put' in opts.store ? opts.store : createMediaStore(opts.store)
  if (store instanceof S3MediaStore) fastify.addHook('onClose', async () => { store.destroy() })
  const maxBytes = opts.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES
  const fetcher = new MediaFetcher(fastify.prisma, store, {
    download: mediaDownload(opts.source, maxBytes),
    maxBytes,
    maxAttempts: opts.fetchAttempts,
    backoffMs: opts.fetchBackoffMs,
    concurrency: Math.max(1, Math.min(4, fastify.dbConcurrency ?? 4)),
    log
  })
  const indexer = new HistoryIndexer(fastify.prisma, { catchUpLagMs: opts.catchUpLagMs, now: opts.now })
  const retention = new RetentionJob(fastify.prisma, store, { days: opts.retentionDays ?? null, now: opts.now })
  const rollup = new ReportRollup(fastify.prisma, { lagMs: opts.catchUpLagMs, now: opts.now })

  let closed = false
  // One thing at a time per kind, in order; failures are logged and the next wake-up or timer tries again.
  const queue = (name: string): ((job: () => Promise<unknown>) => Promise<void>) => {
    let chain: Promise<unknown> = Promise.resolve()
    return async (job) => {
      const next = chain.then(async () => { if (!closed) await job() }).catch((err: Error) => { if (!closed) log.warn({ err: err.message }, `${name} failed; retried later`) })
      chain = next
      await next
    }
  }
  const indexing = queue('indexing')
  const fetching = queue('media fetch')
  const kickFetcher = (): void => { void fetching(async () => await fetcher.kick()) }

  async function catchUp (): Promise<void> {
    await indexing(async () => {
      let pass
      do {
        pass = await indexer.catchUp()
        if (pass.media > 0) kickFetcher()
      } while (pass.rows >= 2000 && !closed)
    })
    kickFetcher()
  }

  // The reports' roll-up, on the catch-up timer, in a queue of its own (a fold may take longer than an index pass).
  const folding = queue('report roll-up')
  async function fold (): Promise<void> {
    await folding(async () => { await rollup.catchUp(() => closed) })
  }

  fastify.decorate('history', { indexer, fetcher, retention, rollup, store, catchUp, fold })

  if (opts.worker === false) return
  const ids = (message: string, key: string): string[] => {
    try {
      const list = (JSON.parse(message) as Record<string, Array<{ id?: unknown }>>)[key] ?? []
      return list.map((a) => String(a.id)).filter((id) => /^[0-9]{1,19}$/.test(id))
    } catch {
      return []
    }
  }
  const stops: Array<() => Promise<void>> = []
  const timers: NodeJS.Timeout[] = []
  fastify.addHook('onReady', async () => {
    stops.push(await fastify.bus.subscribe(MESSAGES_CHANNEL, (message) => {
      const list = ids(message, 'messages')
      if (list.length > 0) void indexing(async () => { if (await indexer.inbound(list) > 0) kickFetcher() })
    }))
    stops.push(await fastify.bus.subscribe(OUTBOUND_CHANNEL, (message) => {
      const list = ids(message, 'outbound')
      if (list.length > 0) void indexing(async () => { await indexer.outbound(list) })
    }))
    timers.push(setInterval(() => { void catchUp(); void fold() }, opts.catchUpIntervalMs ?? 15_000))
    timers.push(setInterval(kickFetcher, opts.retryIntervalMs ?? 5000))
    const upkeep = (): void => {
      void ensurePartitions(fastify.prisma).then((created) => { if (created > 0) log.info({ created }, 'partitions: created months ahead') })
        .catch((err: Error) => { log.warn({ err: err.message }, 'partition upkeep failed; tried again at the next run') })
    }
    upkeep()
    timers.push(setInterval(upkeep, opts.partitionIntervalMs ?? 3_600_000))
    if (retention.enabled) {
      const runRetention = (): void => {
        void retention.run().then((result) => { if (result !== null && result.marked + result.messages + result.replies > 0) log.info(result, 'retention: removed old messages') })
          .catch((err: Error) => { log.warn({ err: err.message }, 'retention failed; tried again at the next run') })
      }
      timers.push(setTimeout(runRetention, Math.min(60_000, opts.retentionIntervalMs ?? 60_000)))
      timers.push(setInterval(runRetention, opts.retentionIntervalMs ?? 3_600_000))
    }
    void catchUp()
    void fold()
  })
  fastify.addHook('preClose', async () => {
    closed = true
    fetcher.close()
    for (const t of timers) clearInterval(t)
    for (const stop of stops) await stop().catch(() => {})
  })
}, { name: 'kefu-history', dependencies: ['kefu-database', 'kefu-redis', 'kefu-bus'] })
