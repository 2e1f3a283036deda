import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { PrismaClient } from '@kefu/db'
import { mediaKey, type MediaStore } from './media-store.js'

export interface FetchedMedia { contentType: string, body: Buffer }

/**
 * A failed fetch: `permanent` ones (WeChat does not know the media_id, the file is too large, the mini program has no
 * AppSecret) are not retried. `reason` names the two that callers treat apart.
 */
export class MediaFetchError extends Error {
  constructor (message: string, readonly permanent: boolean, readonly reason?: 'unknown' | 'too-large') { super(message) }
}

/** What a file over MEDIA_MAX_BYTES is refused with, wherever it is noticed. */
export function tooLarge (maxBytes: number): MediaFetchError {
  return new MediaFetchError(`larger than MEDIA_MAX_BYTES (${maxBytes} bytes)`, true, 'too-large')
}

export interface MediaFetcherOptions {
  /** Downloads a media file from WeChat; throws MediaFetchError (or anything: retried). */
  download: (appId: string, mediaId: string) => Promise<FetchedMedia>
  /** MEDIA_MAX_BYTES: larger files are refused for good. */
  maxBytes: number
  /** Tries before a media is marked failed (default 8: about 10 minutes of backoff). */
  maxAttempts?: number
  /** First retry delay, doubled each time up to `maxBackoffMs` (defaults 5 s and 5 min). */
  backoffMs?: number
  maxBackoffMs?: number
  /** How long a claim keeps other instances off a media while it is fetched (default 2 min). */
  leaseMs?: number
  /** Media fetched at once (default 4). */
  concurrency?: number
  log?: { warn: (obj: object, msg: string) => void, info: (obj: object, msg: string) => void }
}

interface Claimed { app_id: string, media_id: string, attempts: number }

/**
 * Fetches pending media (stored_media rows) from WeChat into the media store. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease, so with several console instances each media is fetched once; a failure is
 * retried with exponential backoff, and after `maxAttempts` (or at once when it cannot succeed) the row is `failed`
 * with the reason, which the timeline shows.
 */
export class MediaFetcher {
  readonly #prisma: PrismaClient
  readonly #store: MediaStore
  readonly #opts: Required<Omit<MediaFetcherOptions, 'log'>> & Pick<MediaFetcherOptions, 'log'>
  readonly #events = new EventEmitter()
  #running: Promise<number> | null = null
  #again = false
  #closed = false

  constructor (prisma: PrismaClient, store: MediaStore, options: MediaFetcherOptions) {
    this.#prisma = prisma
    this.#store = store
    // Each default by itself: an option given as undefined (an unset setting passed along) must not erase it.
    this.#opts = {
      download: options.download,
      maxBytes: options.maxBytes,
      maxAttempts: options.maxAttempts ?? 8,
      backoffMs: options.backoffMs ?? 5000,
      maxBackoffMs: options.maxBackoffMs ?? 300_000,
      leaseMs: options.leaseMs ?? 120_000,
      concurrency: options.concurrency ?? 4,
      log: options.log
    }
    this.#events.setMaxListeners(0)
  }

  /** Fetches what is due now; concurrent calls run one pass after the current one. Resolves with the media handled. */
  async kick (): Promise<number> {
    if (this.#running !== null) {
      this.#again = true
      return await this.#running
    }
    this.#running = (async () => {
      let total = 0
      try {
        do {
          this.#again = false
          let n: number
          do {
            n = await this.#pass()
            total += n
          } while (n > 0 && !this.#closed)
        } while (this.#again && !this.#closed)
      } finally {
        this.#running = null
      }
      return total
    })()
    return await this.#running
  }

  /** Resolves when this process finished `appId/mediaId` (stored or given up), or after `timeoutMs`. */
  async waitFor (appId: string, mediaId: string, timeoutMs: number): Promise<void> {
    const key = `${appId}/${mediaId}`
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); this.#events.off(key, done); resolve() }
      const timer = setTimeout(done, timeoutMs)
      this.#events.on(key, done)
    })
  }

  close (): void {
    this.#closed = true
  }

  async #pass (): Promise<number> {
    const claimed = await this.#prisma.$queryRawUnsafe<Claimed[]>(
      `UPDATE stored_media m SET attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       FROM (SELECT app_id, media_id FROM stored_media WHERE status = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE m.app_id = due.app_id AND m.media_id = due.media_id
       RETURNING m.app_id, m.media_id, m.attempts`, this.#opts.concurrency, this.#opts.leaseMs / 1000)
    await Promise.all(claimed.map(async (row) => { await this.#fetch(row) }))
    return claimed.length
  }

  async #fetch (row: Claimed): Promise<void> {
    const { app_id: appId, media_id: mediaId, attempts } = row
    try {
      const file = await this.#opts.download(appId, mediaId)
      if (file.body.length > this.#opts.maxBytes) throw tooLarge(this.#opts.maxBytes)
      const key = mediaKey(appId, mediaId)
      await this.#store.put(key, file.body, file.contentType)
      await this.#prisma.$executeRawUnsafe(
        `UPDATE stored_media SET status = 'stored', storage_key = $3, content_type = $4, size = $5, sha256 = $6, stored_at = now(), last_error = NULL
         WHERE app_id = $1 AND media_id = $2`,
        appId, mediaId, key, file.contentType, file.body.length, createHash('sha256').update(file.body).digest('hex'))
      this.#opts.log?.info({ appid: appId, bytes: file.body.length, attempts }, 'media stored')
    } catch (err) {
      const message = oneLine(err)
      const permanent = err instanceof MediaFetchError && err.permanent
      const failed = permanent || attempts >= this.#opts.maxAttempts
      const delayS = Math.min(this.#opts.maxBackoffMs, this.#opts.backoffMs * 2 ** (attempts - 1)) / 1000
      await this.#prisma.$executeRawUnsafe(
        `UPDATE stored_media SET status = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5) WHERE app_id = $1 AND media_id = $2`,
        appId, mediaId, failed ? 'failed' : 'pending', message, delayS
      ).catch((e: Error) => { this.#opts.log?.warn({ err: e.message }, 'media fetch outcome not recorded; retried after the lease') })
      this.#opts.log?.warn({ appid: appId, attempts, failed, err: message }, failed ? 'media not stored: giving up' : 'media not stored yet: will retry')
    } finally {
      this.#events.emit(`${appId}/${mediaId}`)
    }
  }
}

function oneLine (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.replace(/\s+/g, ' ').slice(0, 500)
}
