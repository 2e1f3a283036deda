// The fake WeChat's temporary media APIs: media/upload (one image part, its type and size checked, stored for the
// app) and media/get (the app's own media, served in 64 KiB chunks that are counted as the connection takes them).
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Refusal, refusal, type Answer } from './refusals.js'
import { addMedia, findMedia, injected, type StoredMedia, type WechatState } from './state.js'

/** Answers a media/upload call of `appid`, with the body to record (the image's name, type, size and sha256). */
export async function upload (state: WechatState, request: FastifyRequest, appid: string): Promise<{ answer: Answer, body: unknown }> {
  const query = request.query as Record<string, unknown>
  for (const key of Object.keys(query)) if (key !== 'access_token' && key !== 'type') throw new Refusal(40035, key)
  if (query.type !== 'image') throw new Refusal(40004, 'type')
  if (!request.isMultipart()) throw new Refusal(41005, 'media')
  let file: { filename: string, contentType: string, bytes: Buffer } | undefined
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file' || part.fieldname !== 'media' || file !== undefined) {
        if (part.type === 'file') await part.toBuffer()
        throw new Refusal(40035, part.fieldname)
      }
      file = { filename: part.filename, contentType: part.mimetype, bytes: await part.toBuffer() }
    }
  } catch (err) {
    if (err instanceof Refusal) throw err
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new Refusal(40009, 'media')
    throw new Refusal(41005, 'media')
  }
  if (file === undefined) throw new Refusal(41005, 'media')
  const recorded = { media: { filename: file.filename, contentType: file.contentType, size: file.bytes.length, sha256: createHash('sha256').update(file.bytes).digest('hex') } }
  if (!/^image\/(jpeg|png|gif|bmp)$/.test(file.contentType)) return { answer: refusal(40005, 'media'), body: recorded }
  if (file.bytes.length === 0) return { answer: refusal(40009, 'media'), body: recorded }
  const failed = injected(state, 'media/upload')
  if (failed !== undefined) return { answer: failed, body: recorded }
  const mediaId = addMedia(state, appid, file.bytes, file.contentType, file.filename)
  const createdAt = Math.floor(Date.now() / 1000)
  return { answer: { errcode: 0, errmsg: 'ok', extra: { type: 'image', media_id: mediaId, created_at: createdAt } }, body: recorded }
}

/** The media a media/get call asks for: only `media_id` in the query besides the token, and media the app has. */
export function requestedMedia (state: WechatState, request: FastifyRequest, appid: string | undefined): StoredMedia {
  const query = request.query as Record<string, unknown>
  for (const key of Object.keys(query)) if (key !== 'access_token' && key !== 'media_id') throw new Refusal(40035, key)
  if (typeof query.media_id !== 'string' || query.media_id === '') throw new Refusal(41006)
  const media = findMedia(state, appid, query.media_id)
  if (media === undefined) throw new Refusal(40007)
  return media
}

/** Answers media/get with `media`: its type and names, a Content-Length unless chunked, the counted body. */
export function serveMedia (state: WechatState, reply: FastifyReply, media: StoredMedia): FastifyReply {
  void reply.code(200).type(media.contentType).header('content-disposition', contentDisposition(media.filename))
  if (!media.chunked) void reply.header('content-length', media.bytes.length)
  return reply.send(mediaBody(state, media.bytes))
}

/** The body in chunks, each counted as the connection takes it: a client that stops reading stops the count. */
export function mediaBody (state: WechatState, bytes: Buffer): Readable {
  const CHUNK = 64 * 1024
  let offset = 0
  return new Readable({
    highWaterMark: CHUNK,
    read () {
      if (offset >= bytes.length) {
        this.push(null)
        return
      }
      const part = bytes.subarray(offset, offset + CHUNK)
      offset += part.length
      state.mediaBytesSent += part.length
      this.push(part)
    }
  })
}

/** An ASCII fallback name and the UTF-8 one (RFC 6266): header values must be Latin-1. */
export function contentDisposition (filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}
