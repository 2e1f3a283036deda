// How the fake WeChat answers and refuses: the answer written as WeChat writes it (errmsg with a rid, msgid as a bare
// integer), WeChat's errmsg for each errcode, the Refusal a check throws, and the strict checks of JSON bodies that
// every API shares (exact fields, openids, parsing, the body as recorded).
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** What an API answers: an errcode (0: success) with its errmsg, the success's fields, a subscribe message's msgid. */
export interface Answer { status?: number, errcode: number, errmsg: string, extra?: Record<string, unknown>, msgId?: string }

const WECHAT_JSON = 'application/json; encoding=utf-8'
/** WeChat's errmsg of each errcode the fake answers. */
export const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40009: 'invalid image size',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40035: 'invalid args',
  40037: 'invalid template_id',
  40066: 'invalid url',
  40125: 'invalid appsecret',
  41001: 'access_token missing',
  41005: 'media data missing',
  41006: 'media_id missing',
  41030: 'invalid page',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  44002: 'empty post data',
  44004: 'empty content',
  45011: 'api minute-quota reach limit mustslower retry next minute',
  43101: 'user refuse to accept the msg',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  45072: 'invalid command',
  47001: 'data format error',
  47003: 'argument invalid!',
  48001: 'api unauthorized'
}

/** Thrown by a check: the request is refused with `errcode` (and the hint, or an errmsg of its own). */
export class Refusal extends Error {
  constructor (readonly errcode: number, readonly hint?: string, readonly errmsg?: string) { super(`errcode ${errcode}`) }
}

/** Writes `answer` as WeChat does: `ok` on success, otherwise the errmsg with a rid. */
export function send (reply: FastifyReply, answer: Answer): FastifyReply {
  const rid = randomBytes(6).toString('hex')
  const payload = answer.errcode === 0
    ? { errcode: 0, errmsg: 'ok', ...answer.extra }
    : { errcode: answer.errcode, errmsg: `${answer.errmsg} rid: ${rid}` }
  // WeChat writes msgid as a bare 64-bit integer, beyond what JSON.parse keeps exact.
  const json = answer.errcode === 0 && answer.msgId !== undefined
    ? JSON.stringify(payload).replace(/}$/, `,"msgid":${answer.msgId}}`)
    : JSON.stringify(payload)
  return reply.code(answer.status ?? 200).type(WECHAT_JSON).send(json)
}

/** The answer refusing with `errcode`: WeChat's errmsg (or `errmsg`), with `hint` as WeChat adds it. */
export function refusal (errcode: number, hint?: string, errmsg?: string): Answer {
  const base = errmsg ?? ERRMSG[errcode] ?? 'error'
  return { errcode, errmsg: hint === undefined ? base : `${base} hint: [${hint}]` }
}

/** The types exactFields checks a field for. */
export type FieldType = 'string' | 'boolean' | 'object'

/** WeChat-like strictness: every required field present with its type, nothing else. */
export function exactFields (value: Record<string, unknown>, path: string, required: Record<string, FieldType>, optional: Record<string, FieldType>): void {
  for (const key of Object.keys(value)) {
    if (!(key in required) && !(key in optional)) throw new Refusal(40035, `${path}${key}`)
  }
  for (const [key, type] of Object.entries({ ...required, ...optional })) {
    const present = key in value
    if (!present) {
      if (key in required) throw new Refusal(40035, `${path}${key}`)
      continue
    }
    const v = value[key]
    const ok = type === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === type
    if (!ok) throw new Refusal(40035, `${path}${key}`)
  }
}

/** A well-formed openid in `touser`, or 40003. */
export function checkOpenid (openid: unknown): void {
  if (typeof openid !== 'string' || !/^[A-Za-z0-9_-]{6,64}$/.test(openid)) throw new Refusal(40003, 'touser')
}

/** The JSON object a body holds: 44002 when empty, 47001 when not JSON or not an object. */
export function parseJsonBody (raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || (Buffer.isBuffer(raw) && raw.length === 0)) throw new Refusal(44002)
  let value: unknown
  try {
    value = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw))
  } catch {
    throw new Refusal(47001)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Refusal(47001)
  return value as Record<string, unknown>
}

/** The body as recorded when the API did not get to parse it: its JSON, else its text, else `undefined` (none). */
export function jsonBodyForRecord (request: FastifyRequest): unknown {
  const raw = request.body
  if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return raw.toString('utf8')
  }
}
