import { createHash } from 'node:crypto'
import type { PrismaClient } from '@kefu/db'
import { setTimeout as sleep } from 'node:timers/promises'
import { MediaFetchError, mediaKey, tooLarge, type FetchedMedia, type MediaStore, type UnknownMedia } from '@kefu/history'
import type { TimelineItem } from '../common/messages.js'

export type MediaState = { status: 'pending', attempts: number, error?: string } | { status: 'stored' } | { status: 'failed', error: string }

/** What a row left by RetentionJob in place of a removed media says (its `removed` status). */
export const REMOVED_MEDIA = 'removed with its message'

interface Row { status: string, attempts: number, last_error: string | null, storage_key: string | null, content_type: string | null, sha256: string | null }

export type OpenResult =
  | { found: true, body: Buffer, contentType: string, etag: string }
  /** `unknown`: WeChat does not know the media_id and no kept message names it. */
  | { found: false, state: MediaState | { status: 'unknown', error: string } | null }

export interface MediaLibraryOptions {
  /** The download the worker makes too (@kefu/history's mediaDownload: errors as MediaFetchError). */
  download: (appId: string, mediaId: string) => Promise<FetchedMedia>
  /** MEDIA_MAX_BYTES */
  maxBytes: number
  unknown: UnknownMedia
}

/** Kept media as the console reads them: the proxy's lookups, agents' uploads, and the timeline's media states. */
export class MediaLibrary {
  readonly #prisma: PrismaClient
  readonly #store: MediaStore
  readonly #opts: MediaLibraryOptions

  constructor (prisma: PrismaClient, store: MediaStore, options: MediaLibraryOptions) {
    this.#prisma = prisma
    this.#store = store
    this.#opts = options
  }

  get store (): MediaStore { return this.#store }

  async #row (appId: string, mediaId: string): Promise<Row | null> {
    const rows = await this.#prisma.$queryRawUnsafe<Row[]>(
      'SELECT status, attempts, last_error, storage_key, content_type, sha256 FROM stored_media WHERE app_id = $1 AND media_id = $2', appId, mediaId)
    return rows[0] ?? null
  }

  /**
   * The kept copy of a media file. One the worker is fetching (a page showing a message as it arrives asks at that
   * moment) is waited for up to `waitMs`, looked at every `pollMs`: the worker runs apart (apps/worker), the console
   * fetches nothing it has queued. One without a row is fetched now (`#fetchUnlisted`).
   */
  async open (appId: string, mediaId: string, waitMs: number, pollMs = 200): Promise<OpenResult> {
    let row = await this.#row(appId, mediaId)
    if (row === null) return await this.#fetchUnlisted(appId, mediaId)
    const deadline = Date.now() + waitMs
    while (row !== null && row.status === 'pending' && Date.now() < deadline) {
      await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())))
      row = await this.#row(appId, mediaId)
    }
    if (row === null) return { found: false, state: null }
    if (row.status === 'stored' && row.storage_key !== null) {
      const file = await this.#store.get(row.storage_key)
      if (file !== null) return { found: true, body: file.body, contentType: row.content_type ?? file.contentType, etag: `"${row.sha256 ?? ''}"` }
      return { found: false, state: { status: 'failed', error: 'the kept copy is missing from the media store' } }
    }
    return { found: false, state: stateOf(row) }
  }

  /**
   * A media_id no row names: the message naming it is not indexed yet (a page asks as it arrives), or only an agent's
   * reply names it. Media removed with their message keep a row while WeChat may still have them (RetentionJob), so
   * none comes back here. Fetched from WeChat now and kept (retention removes it with its message once the indexer
   * links them, or after RETENTION_DAYS); a file over the limit is recorded as failed, as the worker records it; a
   * media_id WeChat does not know is remembered for a while and not asked for again.
   */
  async #fetchUnlisted (appId: string, mediaId: string): Promise<OpenResult> {
    const known = await this.#opts.unknown.get(appId, mediaId)
    if (known !== null) return { found: false, state: { status: 'unknown', error: known } }
    let file: FetchedMedia
    try {
      file = await this.#opts.download(appId, mediaId)
      if (file.body.length > this.#opts.maxBytes) throw tooLarge(this.#opts.maxBytes)
    } catch (err) {
      if (!(err instanceof MediaFetchError)) throw err
      if (err.reason === 'unknown') {
        const answer = 'WeChat does not know this media_id (errcode 40007)'
        await this.#opts.unknown.remember(appId, mediaId, answer)
        return { found: false, state: { status: 'unknown', error: answer } }
      }
      if (err.reason === 'too-large') {
        await this.#prisma.$executeRawUnsafe(
          `INSERT INTO stored_media (app_id, media_id, origin, status, attempts, last_error) VALUES ($1, $2, 'inbound', 'failed', 1, $3)
           ON CONFLICT DO NOTHING`, appId, mediaId, err.message)
        return { found: false, state: { status: 'failed', error: err.message } }
      }
      throw err
    }
    const sha = await this.#keep(appId, mediaId, 'inbound', file.body, file.contentType)
    return { found: true, body: file.body, contentType: file.contentType, etag: `"${sha}"` }
  }

  /** An image an agent uploaded (and WeChat took as `mediaId`), kept as sent so the timeline shows it. */
  async keepUpload (appId: string, mediaId: string, body: Buffer, contentType: string): Promise<void> {
    await this.#keep(appId, mediaId, 'upload', body, contentType)
  }

  async #keep (appId: string, mediaId: string, origin: 'inbound' | 'upload', body: Buffer, contentType: string): Promise<string> {
    const key = mediaKey(appId, mediaId)
    const sha = createHash('sha256').update(body).digest('hex')
    await this.#store.put(key, body, contentType)
    await this.#prisma.$executeRawUnsafe(
      `INSERT INTO stored_media (app_id, media_id, origin, status, storage_key, content_type, size, sha256, stored_at)
       VALUES ($1, $2, $7, 'stored', $3, $4, $5, $6, now())
       ON CONFLICT (app_id, media_id) DO UPDATE SET status = 'stored', storage_key = $3, content_type = $4, size = $5, sha256 = $6, stored_at = now(), last_error = NULL`,
      appId, mediaId, key, contentType, body.length, sha, origin)
    return sha
  }

  /** Adds `media` (the kept copy's state) to the items that show media, in one query. */
  async annotate<T extends TimelineItem> (items: T[]): Promise<Array<T & { media?: MediaState }>> {
    const wanted = items.flatMap((item) => mediaIdsOf(item).map((mediaId) => ({ appId: item.appId, mediaId })))
    if (wanted.length === 0) return items
    const rows = await this.#prisma.$queryRawUnsafe<Array<Row & { app_id: string, media_id: string }>>(
      `SELECT s.app_id, s.media_id, s.status, s.attempts, s.last_error, s.storage_key, s.content_type, s.sha256
       FROM stored_media s JOIN unnest($1::text[], $2::text[]) AS w(a, m) ON s.app_id = w.a AND s.media_id = w.m`,
      wanted.map((w) => w.appId), wanted.map((w) => w.mediaId))
    const byKey = new Map(rows.map((r) => [`${r.app_id}/${r.media_id}`, stateOf(r)]))
    return items.map((item) => {
      const id = mediaIdsOf(item)[0]
      const state = id === undefined ? undefined : byKey.get(`${item.appId}/${id}`)
      return state === undefined ? item : { ...item, media: state }
    })
  }
}

function mediaIdsOf (item: TimelineItem): string[] {
  if (item.type === 'image' && item.mediaId !== undefined) return [item.mediaId]
  if (item.type === 'miniprogrampage' && item.thumbMediaId !== undefined) return [item.thumbMediaId]
  return []
}

function stateOf (row: Row): MediaState {
  if (row.status === 'stored') return { status: 'stored' }
  if (row.status === 'failed') return { status: 'failed', error: row.last_error ?? 'unknown' }
  if (row.status === 'removed') return { status: 'failed', error: REMOVED_MEDIA }
  return row.last_error === null ? { status: 'pending', attempts: row.attempts } : { status: 'pending', attempts: row.attempts, error: row.last_error }
}
