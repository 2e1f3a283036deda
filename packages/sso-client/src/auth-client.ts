import { AuthUnavailableError } from './errors.js'
import { basicAuthorization, SID_RE, type LoginState, type Redemption } from './protocol.js'

export interface AuthClientOptions {
  /** A's base URL for server-to-server calls (AUTH_INTERNAL_URL). */
  baseUrl: string
  clientId: string
  clientSecret: string
  timeoutMs: number
  fetch: typeof fetch
}

/** B's server-to-server calls to A, authenticated with the client secret. */
export class AuthClient {
  readonly #opts: AuthClientOptions
  readonly #authorization: string

  constructor (opts: AuthClientOptions) {
    this.#opts = opts
    this.#authorization = basicAuthorization(opts.clientId, opts.clientSecret)
  }

  async #post (path: string, body: unknown): Promise<{ status: number, json: unknown }> {
    let res: Response
    try {
      res = await this.#opts.fetch(this.#opts.baseUrl + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.#authorization, accept: 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(this.#opts.timeoutMs)
      })
    } catch (err) {
      throw new AuthUnavailableError(err)
    }
    let json: unknown = null
    try {
      json = await res.json()
    } catch {}
    if (res.status >= 500) throw new AuthUnavailableError(new Error(`A answered ${res.status}`))
    return { status: res.status, json }
  }

  /**
   * Redeems a ticket (A burns it whatever the outcome). Resolves to the login it stands for, or to the refusal's
   * code; rejects with `AuthUnavailableError` when A cannot answer.
   */
  async redeem (ticket: string): Promise<{ ok: true, redemption: Redemption } | { ok: false, code: string }> {
    const { status, json } = await this.#post('/sso/redeem', { ticket })
    const r = json as Partial<Redemption> | null
    if (status === 200 && typeof r?.sub === 'string' && typeof r.username === 'string' && typeof r.sid === 'string' && SID_RE.test(r.sid)) {
      return { ok: true, redemption: { sub: r.sub, username: r.username, sid: r.sid } }
    }
    const code = (json as { code?: unknown } | null)?.code
    return { ok: false, code: typeof code === 'string' ? code : `HTTP_${status}` }
  }

  /**
   * Whether A login `sid` of account `sub` is still live, and until when. `activeAt`: the latest request the person
   * made on B, reported as activity (A moves the login's last-seen to it).
   */
  async check (sub: string, sid: string, activeAt?: number): Promise<LoginState> {
    const { status, json } = await this.#post('/sso/check', activeAt === undefined ? { sub, sid } : { sub, sid, activeAt: Math.floor(activeAt) })
    if (status !== 200) throw new AuthUnavailableError(new Error(`A answered ${status} to /sso/check (client misconfigured?)`))
    const s = json as Partial<{ active: unknown, expiresAt: unknown, capAt: unknown, idleMs: unknown, now: unknown }> | null
    if (s?.active !== true) return { active: false }
    const { expiresAt, capAt, idleMs, now } = s
    if (typeof expiresAt !== 'number' || typeof capAt !== 'number' || typeof idleMs !== 'number' || typeof now !== 'number') {
      throw new AuthUnavailableError(new Error('A answered /sso/check without the login\'s deadlines (an older A?)'))
    }
    return { active: true, expiresAt, capAt, idleMs, now }
  }
}
