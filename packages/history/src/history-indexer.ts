import type { PrismaClient } from '@kefu/db'
import { documentTokens, normalize } from './search-tokens.js'

/** WeChat keeps temporary media 3 days; a message older than that when first seen cannot have its media fetched. */
export const WECHAT_MEDIA_TTL_MS = 3 * 24 * 3600 * 1000

interface InboundRow { id: bigint, app_id: string, openid: string, msg_type: string, msg_info: string, event: string | null, wechat_create_time: bigint }
interface OutboundRow { id: bigint, app_id: string, openid: string, msg_type: string, content: string, created_at: Date }
interface Doc { direction: 'in' | 'out', id: bigint, appId: string, openid: string, at: Date, type: string, body: string, tokens: string }
interface MediaRef { appId: string, mediaId: string, messageId: bigint, at: Date }

function parse (json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json) as unknown
    return value !== null && typeof value === 'object' ? value as Record<string, unknown> : {}
  } catch {
    return {}
  }
}
const str = (v: unknown): string => typeof v === 'string' ? v : ''
const mediaIdOk = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_-]{1,256}$/.test(v)

/** The searchable text of a user's message, and the media it refers to. */
export function inboundContent (row: Pick<InboundRow, 'msg_type' | 'msg_info' | 'event'>): { text: string, media: string[] } {
  const info = parse(row.msg_info)
  switch (row.msg_type) {
    case 'text': return { text: str(info.text), media: [] }
    case 'image': return { text: '', media: mediaIdOk(info.media_id) ? [info.media_id] : [] }
    case 'miniprogrampage': return { text: [str(info.title), str(info.page_path)].join(' ').trim(), media: mediaIdOk(info.thumb_media_id) ? [info.thumb_media_id] : [] }
    case 'event': return { text: str(info.session_from), media: [] }
    default: return { text: str(info.Content), media: [] }
  }
}

/** The searchable text of an agent's reply (the JSON of custom/send). */
export function outboundText (row: Pick<OutboundRow, 'msg_type' | 'content'>): string {
  const body = parse(row.content)[row.msg_type] as Record<string, unknown> | undefined
  if (body === undefined || body === null || typeof body !== 'object') return ''
  switch (row.msg_type) {
    case 'text': return str(body.content)
    case 'link': return [str(body.title), str(body.description), str(body.url)].join(' ').trim()
    case 'miniprogrampage': return [str(body.title), str(body.pagepath)].join(' ').trim()
    default: return ''
  }
}

const INBOUND_COLUMNS = 'id, app_id, openid, msg_type, msg_info, event, wechat_create_time'
const OUTBOUND_COLUMNS = 'id, app_id, openid, msg_type, content, created_at'

export interface HistoryIndexerOptions {
  /** Rows newer than this are left to their announcement by the catch-up pass (their transaction may not be visible
   *  yet beside a newer id that is); default 60 s. */
  catchUpLagMs?: number
  /** Rows read per catch-up pass; default 2000. */
  batch?: number
  now?: () => number
}

/**
 * Keeps message_search and the pending media fetches (stored_media) in step with customer_message and
 * outbound_message. Announced rows are indexed at once (`inbound`, `outbound`); `catchUp` reads each table past a
 * cursor, so rows whose announcement was missed (Redis away, no console running) are indexed a minute later. Every
 * write is idempotent (ON CONFLICT): instances and the two paths may see a row twice.
 */
export class HistoryIndexer {
  readonly #prisma: PrismaClient
  readonly #lagMs: number
  readonly #batch: number
  readonly #now: () => number

  constructor (prisma: PrismaClient, options: HistoryIndexerOptions = {}) {
    this.#prisma = prisma
    this.#lagMs = options.catchUpLagMs ?? 60_000
    this.#batch = options.batch ?? 2000
    this.#now = options.now ?? Date.now
  }

  /** Indexes announced inbound rows; resolves with the number of media references found. */
  async inbound (ids: string[]): Promise<number> {
    if (ids.length === 0) return 0
    const rows = await this.#prisma.$queryRawUnsafe<InboundRow[]>(
      `SELECT ${INBOUND_COLUMNS} FROM customer_message WHERE id = ANY($1::bigint[]) AND delete_time IS NULL`, ids)
    return await this.#writeInbound(this.#prisma, rows)
  }

  async outbound (ids: string[]): Promise<void> {
    if (ids.length === 0) return
    const rows = await this.#prisma.$queryRawUnsafe<OutboundRow[]>(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_message WHERE id = ANY($1::bigint[])`, ids)
    await this.#writeDocs(this.#prisma, rows.map(outboundDoc))
  }

  /**
   * One pass over each table past its cursor, in a transaction that holds the cursor's row (another instance
   * doing the same pass skips it). Resolves with the rows read; call again while it is the batch size.
   */
  async catchUp (): Promise<{ rows: number, media: number }> {
    const inbound = await this.#pass('customer_message', INBOUND_COLUMNS, 'create_time', 'in', async (tx, rows) => await this.#writeInbound(tx, rows as InboundRow[]))
    const outbound = await this.#pass('outbound_message', OUTBOUND_COLUMNS, 'created_at', 'out', async (tx, rows) => {
      await this.#writeDocs(tx, (rows as OutboundRow[]).map(outboundDoc))
      return 0
    })
    return { rows: Math.max(inbound.rows, outbound.rows), media: inbound.media }
  }

  async #pass (table: string, columns: string, createdColumn: string, direction: 'in' | 'out',
    write: (tx: Tx, rows: unknown[]) => Promise<number>): Promise<{ rows: number, media: number }> {
    return await this.#prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('INSERT INTO history_cursor (name) VALUES ($1) ON CONFLICT DO NOTHING', table)
      const cursor = await tx.$queryRawUnsafe<Array<{ last_id: bigint }>>('SELECT last_id FROM history_cursor WHERE name = $1 FOR UPDATE SKIP LOCKED', table)
      if (cursor.length === 0) return { rows: 0, media: 0 }
      const from = cursor[0]!.last_id
      const cutoff = new Date(this.#now() - this.#lagMs)
      const range = await tx.$queryRawUnsafe<Array<{ hi: bigint | null, n: bigint }>>(
        `SELECT max(id) AS hi, count(*) AS n FROM (SELECT id FROM ${table} WHERE id > $1 AND ${createdColumn} < $2 ORDER BY id LIMIT $3) r`,
        from, cutoff, this.#batch)
      const hi = range[0]?.hi ?? null
      if (hi === null) return { rows: 0, media: 0 }
      const missing = await tx.$queryRawUnsafe<unknown[]>(
        `SELECT ${columns} FROM ${table} t WHERE id > $1 AND id <= $2${table === 'customer_message' ? ' AND delete_time IS NULL' : ''}
           AND NOT EXISTS (SELECT 1 FROM message_search s WHERE s.direction = $3 AND s.message_id = t.id) ORDER BY id`, from, hi, direction)
      const media = await write(tx, missing)
      await tx.$executeRawUnsafe('UPDATE history_cursor SET last_id = $2, updated_at = now() WHERE name = $1', table, hi)
      return { rows: Number(range[0]!.n), media }
    }, { timeout: 60_000 })
  }

  async #writeInbound (db: Tx, rows: InboundRow[]): Promise<number> {
    const docs: Doc[] = []
    const media: MediaRef[] = []
    const named = new Set<string>()
    for (const row of rows) {
      const content = inboundContent(row)
      const at = new Date(Number(row.wechat_create_time) * 1000)
      docs.push(doc('in', row.id, row.app_id, row.openid, at, row.msg_type, content.text))
      for (const mediaId of content.media) {
        // One row per media (ON CONFLICT DO UPDATE may touch a row once per statement): the first message names it.
        const key = `${row.app_id}/${mediaId}`
        if (named.has(key)) continue
        named.add(key)
        media.push({ appId: row.app_id, mediaId, messageId: row.id, at })
      }
    }
    await this.#writeDocs(db, docs)
    if (media.length > 0) {
      const stale = this.#now() - WECHAT_MEDIA_TTL_MS
      // Media WeChat has already deleted are recorded as failed at once rather than asked for. A copy an agent opened
      // before its message was indexed has no message yet: it gets this one, so retention removes them together.
      await db.$executeRawUnsafe(
        `INSERT INTO stored_media (app_id, media_id, origin, message_id, status, last_error)
         SELECT a, m, 'inbound', id, CASE WHEN old THEN 'failed' ELSE 'pending' END,
                CASE WHEN old THEN 'older than the 3 days WeChat keeps media when kefu first saw it' END
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[]) AS x(a, m, id, old)
         ON CONFLICT (app_id, media_id) DO UPDATE SET message_id = EXCLUDED.message_id
         WHERE stored_media.message_id IS NULL AND stored_media.origin = 'inbound' AND stored_media.status <> 'removed'`,
        media.map((m) => m.appId), media.map((m) => m.mediaId), media.map((m) => m.messageId.toString()), media.map((m) => m.at.getTime() < stale))
    }
    return media.length
  }

  async #writeDocs (db: Tx, docs: Doc[]): Promise<void> {
    if (docs.length === 0) return
    await db.$executeRawUnsafe(
      `INSERT INTO message_search (direction, message_id, app_id, openid, at, msg_type, body, tokens)
       SELECT d, id, a, o, at, ty, b, array_to_tsvector(string_to_array(tk, ' ')::text[])
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[]) AS x(d, id, a, o, at, ty, b, tk)
       ON CONFLICT DO NOTHING`,
      docs.map((d) => d.direction), docs.map((d) => d.id.toString()), docs.map((d) => d.appId), docs.map((d) => d.openid),
      docs.map((d) => d.at), docs.map((d) => d.type), docs.map((d) => d.body), docs.map((d) => d.tokens))
  }
}

type Tx = Pick<PrismaClient, '$executeRawUnsafe' | '$queryRawUnsafe'>

function doc (direction: 'in' | 'out', id: bigint, appId: string, openid: string, at: Date, type: string, text: string): Doc {
  return { direction, id, appId, openid, at, type, body: normalize(text), tokens: documentTokens(text).join(' ') }
}

function outboundDoc (row: OutboundRow): Doc {
  return doc('out', row.id, row.app_id, row.openid, row.created_at, row.msg_type, outboundText(row))
}
