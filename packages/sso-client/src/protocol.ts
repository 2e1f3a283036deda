import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The sync-login wire protocol between the A site (`@kefu/auth`) and a B site, in one place so both ends agree.
 *
 * Browser → A: `POST /sso/ticket?client_id=` (CORS, credentials; same-site only) and `GET /sso/authorize`
 * (top-level redirect; any site). B → A, server to server with HTTP Basic client authentication
 * (RFC 6749 §2.3.1): `POST /sso/redeem {ticket}` and `POST /sso/check {sub, sid, activeAt?}`. A → B: the back-channel logout,
 * `POST <logoutUri>` with a JSON body signed by HMAC-SHA256 under the client secret (header `kefu-sso-signature`).
 */

/** A ticket: 256 bits from the CSPRNG, base64url. */
export const TICKET_RE = /^[A-Za-z0-9_-]{43}$/
/** `state` of the redirect check: B makes it, 128–512 bits base64url. */
export const STATE_RE = /^[A-Za-z0-9_-]{22,86}$/
/** A's session handle (`sid`): a non-secret name of one A login. */
export const SID_RE = /^[A-Za-z0-9_-]{16,64}$/
export const CLIENT_ID_RE = /^[A-Za-z0-9._-]{1,64}$/
export const MIN_CLIENT_SECRET_LENGTH = 32

export const SIGNATURE_HEADER = 'kefu-sso-signature'

/** What the browser's credentialed fetch to A's ticket endpoint answers. */
export type TicketAnswer =
  | { status: 'ticket', ticket: string }
  /** A saw its own cookie-less same-site request: nobody is logged in at A. */
  | { status: 'anonymous' }
  /** A cannot see its cookie from this page (cross-site, or a browser that does not say): use the top-level check. */
  | { status: 'redirect' }

/** A's answer to a successful redemption. */
export interface Redemption {
  /** A's account id. */
  sub: string
  username: string
  /** A's session handle: B ties its session to it and asks A whether it is still live. */
  sid: string
}

/**
 * A's answer to `/sso/check`. `activeAt` in the request is the time of the latest request the person made on B
 * (milliseconds): A moves the login's last-seen forward to it (never backward, never past now).
 */
export type LoginState =
  | { active: false }
  | {
    active: true
    /** When the A login ends unless the person does something: min(last-seen + idle, sign-in + absolute). */
    expiresAt: number
    /** The absolute deadline: nothing moves it. */
    capAt: number
    /** A's idle limit, so B can tell how far activity it has not reported yet moves `expiresAt`. */
    idleMs: number
    /** A's clock when it answered. */
    now: number
  }

/** The back-channel logout message: the A logins (`sids`) of account `sub` that ended. */
export interface LogoutMessage {
  iss: string
  aud: string
  sub: string
  sids: string[]
  /** Milliseconds since the epoch when A sent it. */
  iat: number
  jti: string
}

/** `Authorization: Basic …` for a client (RFC 6749 §2.3.1: both parts form-urlencoded first). */
export function basicAuthorization (clientId: string, clientSecret: string): string {
  return 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')
}

export function parseBasicAuthorization (header: string | undefined): { clientId: string, clientSecret: string } | null {
  if (header === undefined || !/^Basic [A-Za-z0-9+/]+=*$/.test(header)) return null
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return null
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) }
  } catch {
    return null
  }
}

/** Compares two secrets in time independent of where they differ and of their lengths. */
export function secretsEqual (a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

export function signBody (body: string, secret: string): string {
  return 'v1=' + createHmac('sha256', secret).update('kefu-sso-logout.v1.').update(body).digest('base64url')
}

/** Serialises and signs a logout message: the body to POST and the value of the signature header. */
export function signLogoutMessage (message: LogoutMessage, secret: string): { body: string, signature: string } {
  const body = JSON.stringify(message)
  return { body, signature: signBody(body, secret) }
}

export type LogoutVerdict =
  | { ok: true, message: LogoutMessage }
  | { ok: false, reason: string }

/**
 * Checks a back-channel logout: signature over the exact body bytes, then issuer, audience and age.
 * A replay inside the window only ends sessions that already ended, so no nonce cache is kept.
 */
export function verifyLogoutMessage (body: string, signature: string | undefined, expected: {
  secret: string
  issuer: string
  audience: string
  now: number
  maxAgeMs: number
}): LogoutVerdict {
  if (signature === undefined || !secretsEqual(signature, signBody(body, expected.secret))) return { ok: false, reason: 'bad signature' }
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return { ok: false, reason: 'body is not JSON' }
  }
  const m = value as Partial<LogoutMessage> | null
  if (m === null || typeof m !== 'object') return { ok: false, reason: 'body is not an object' }
  if (m.iss !== expected.issuer) return { ok: false, reason: 'wrong issuer' }
  if (m.aud !== expected.audience) return { ok: false, reason: 'wrong audience' }
  if (typeof m.iat !== 'number' || !Number.isFinite(m.iat) || Math.abs(expected.now - m.iat) > expected.maxAgeMs) {
    return { ok: false, reason: 'stale or future iat' }
  }
  if (typeof m.sub !== 'string' || m.sub === '' || m.sub.length > 64) return { ok: false, reason: 'bad sub' }
  if (!Array.isArray(m.sids) || m.sids.length === 0 || m.sids.length > 1000 || !m.sids.every((s) => typeof s === 'string' && SID_RE.test(s))) {
    return { ok: false, reason: 'bad sids' }
  }
  return { ok: true, message: m as LogoutMessage }
}

/** An http(s) origin exactly as browsers send it in `Origin`, or null when `value` is anything else. */
export function exactOrigin (value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  return url.origin === value ? value : null
}

/**
 * A path on this site to send the browser back to: starts with one `/`, no scheme, no `//` or `/\` (which browsers
 * read as another host), no control characters. Anything else becomes `/`.
 */
export function safeReturnPath (value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/'
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/'
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/'
  try {
    const parsed = new URL(value, 'http://x.invalid')
    if (parsed.origin !== 'http://x.invalid') return '/'
  } catch {
    return '/'
  }
  return value
}
