// Reading WeChat's answers: a JSON object, its errcode, the exact 64-bit msgid of a subscribe send, stable_token's
// token, an upload's media_id, and a media file read only up to the size allowed.
import { WechatApiError } from './errors.js'
import type { MediaFile } from './types.js'
import type { Answer, CallContext } from './exchange.js'

function badResponse (ctx: CallContext, what: string): WechatApiError {
  return new WechatApiError('KEFU_WECHAT_API_BAD_RESPONSE', `WeChat ${ctx.api} answered for ${ctx.appid} with ${what}`, { appid: ctx.appid, api: ctx.api })
}

async function readJsonObject (res: Response, ctx: CallContext): Promise<Record<string, unknown>> {
  return (await readJsonText(res, ctx)).body
}

async function readJsonText (res: Response, ctx: CallContext): Promise<{ body: Record<string, unknown>, text: string }> {
  if (!res.ok) {
    await res.body?.cancel().catch(() => {})
    throw badResponse(ctx, `HTTP ${res.status}`)
  }
  const text = await res.text()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badResponse(ctx, 'a body that is not JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badResponse(ctx, 'JSON that is not an object')
  return { body: value as Record<string, unknown>, text }
}

/** WeChat's error shape `{ errcode, errmsg }` with a non-zero errcode, if that is what `body` is. */
function errcodeOf (body: Record<string, unknown>): { ok: false, errcode: number, errmsg: string } | undefined {
  const { errcode, errmsg } = body
  if (typeof errcode !== 'number' || errcode === 0) return undefined
  return { ok: false, errcode, errmsg: typeof errmsg === 'string' ? errmsg : '' }
}

export async function readOk (res: Response, ctx: CallContext): Promise<Answer<undefined>> {
  const body = await readJsonObject(res, ctx)
  return errcodeOf(body) ?? { ok: true, value: undefined }
}

/** `{"errcode":0,"errmsg":"ok","msgid":3248682510344192008}`: a 64-bit msgid that JSON.parse would round, read from the text. */
export async function readMsgId (res: Response, ctx: CallContext): Promise<Answer<{ msgId: string | null }>> {
  const { body, text } = await readJsonText(res, ctx)
  const failed = errcodeOf(body)
  if (failed !== undefined) return failed
  if (body.msgid === undefined) return { ok: true, value: { msgId: null } }
  const exact = /"msgid"\s*:\s*"?(\d{1,20})"?\s*[,}]/.exec(text)
  if (exact === null) throw badResponse(ctx, 'a msgid that is not a decimal integer')
  return { ok: true, value: { msgId: exact[1]! } }
}

export async function readStableToken (res: Response, ctx: CallContext): Promise<Answer<{ token: string, expiresIn: number }>> {
  const body = await readJsonObject(res, ctx)
  const failed = errcodeOf(body)
  if (failed !== undefined) return failed
  const { access_token: token, expires_in: expiresIn } = body
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw badResponse(ctx, 'no access_token and expires_in')
  }
  return { ok: true, value: { token, expiresIn } }
}

export async function readMediaId (res: Response, ctx: CallContext): Promise<Answer<string>> {
  const body = await readJsonObject(res, ctx)
  const failed = errcodeOf(body)
  if (failed !== undefined) return failed
  if (typeof body.media_id !== 'string' || body.media_id === '') throw badResponse(ctx, 'no media_id')
  return { ok: true, value: body.media_id }
}

/** `media/get` answers with the file, or with JSON `{ errcode, errmsg }` when it fails. */
export async function readMedia (res: Response, ctx: CallContext): Promise<Answer<MediaFile>> {
  if (!res.ok) {
    await res.body?.cancel().catch(() => {})
    throw badResponse(ctx, `HTTP ${res.status}`)
  }
  const contentType = res.headers.get('content-type') ?? 'application/octet-stream'
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > ctx.maxMediaBytes) {
    await res.body?.cancel().catch(() => {})
    throw mediaTooLarge(ctx, `media of ${declared} bytes, more than the ${ctx.maxMediaBytes} allowed`)
  }
  const body = await readLimited(res, ctx)
  if (/json|^text\//i.test(contentType)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      parsed = undefined
    }
    const failed = parsed !== null && typeof parsed === 'object' ? errcodeOf(parsed as Record<string, unknown>) : undefined
    if (failed !== undefined) return failed
    throw badResponse(ctx, `${contentType.split(';')[0] ?? ''} instead of media`)
  }
  if (body.length === 0) throw badResponse(ctx, 'empty media')
  return { ok: true, value: { contentType, body } }
}

function mediaTooLarge (ctx: CallContext, what: string): WechatApiError {
  return new WechatApiError('KEFU_WECHAT_API_MEDIA_TOO_LARGE', `WeChat ${ctx.api} for ${ctx.appid}: ${what}`, { appid: ctx.appid, api: ctx.api })
}

/** The body, read chunk by chunk and counted: one without a Content-Length (chunked) stops at the limit. */
async function readLimited (res: Response, ctx: CallContext): Promise<Buffer> {
  if (res.body === null) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > ctx.maxMediaBytes) {
      await reader.cancel().catch(() => {})
      throw mediaTooLarge(ctx, `media larger than the ${ctx.maxMediaBytes} bytes allowed`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}
