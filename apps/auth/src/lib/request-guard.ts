import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

export function isFormPost (request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
}

export function isJsonPost (request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')
}

/**
 * Signed double-submit CSRF tokens for A's HTML forms (OWASP CSRF cheat sheet): a random nonce in an HttpOnly
 * cookie, and in the form its HMAC under a key derived from the session secret. The same-origin guard of
 * @kefu/service is the first line; this covers browsers that send neither Origin nor Sec-Fetch-Site.
 */
export class CsrfTokens {
  readonly #key: Buffer
  readonly #cookie: string

  constructor (secret: string, cookieName: string) {
    this.#key = createHmac('sha256', secret).update('kefu-auth-csrf-key').digest()
    this.#cookie = cookieName
  }

  #cookieName (request: FastifyRequest): string {
    return request.protocol === 'https' ? '__Host-' + this.#cookie : this.#cookie
  }

  #tokenFor (nonce: string): string {
    return createHmac('sha256', this.#key).update(nonce).digest('base64url')
  }

  /** The token for a form on this response; sets the nonce cookie when the request has none. */
  issue (request: FastifyRequest, reply: FastifyReply): string {
    const name = this.#cookieName(request)
    let nonce = request.cookies[name]
    if (nonce === undefined || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = randomBytes(32).toString('base64url')
      void reply.setCookie(name, nonce, { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' })
    }
    return this.#tokenFor(nonce)
  }

  verify (request: FastifyRequest, token: unknown): boolean {
    const nonce = request.cookies[this.#cookieName(request)]
    if (nonce === undefined || typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false
    return timingSafeEqual(Buffer.from(this.#tokenFor(nonce)), Buffer.from(token))
  }
}
