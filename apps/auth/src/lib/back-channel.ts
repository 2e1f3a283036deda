import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { SIGNATURE_HEADER, signLogoutMessage } from '@kefu/sso-client'
import type { SsoClient } from './clients.js'

export interface BackChannelOptions {
  issuer: string
  clients: ReadonlyMap<string, SsoClient>
  timeoutMs: number
  now: () => number
  fetch: typeof fetch
  log: FastifyBaseLogger
  /** Called for each B site the call did not reach (`unreachable`) or that answered an error (`refused`). */
  onFailure?: (clientId: string, reason: 'refused' | 'unreachable') => void
}

/**
 * Tells every client that holds a session from one of the ended A logins, in parallel, each call bounded by
 * `timeoutMs`. A client that misses the call still refuses the session at its next check with A (≤ 5 s), so a
 * failure is logged and not retried.
 */
export async function sendBackChannelLogout (opts: BackChannelOptions, sub: string, participants: ReadonlyMap<string, string[]>): Promise<void> {
  const byClient = new Map<string, string[]>()
  for (const [sid, clientIds] of participants) {
    for (const clientId of clientIds) {
      const list = byClient.get(clientId) ?? []
      list.push(sid)
      byClient.set(clientId, list)
    }
  }
  await Promise.all([...byClient].map(async ([clientId, sids]) => {
    const client = opts.clients.get(clientId)
    if (client?.logoutUri === undefined) return
    const { body, signature } = signLogoutMessage({
      iss: opts.issuer, aud: clientId, sub, sids, iat: opts.now(), jti: randomBytes(16).toString('base64url')
    }, client.clientSecret)
    const started = Date.now()
    try {
      const res = await opts.fetch(client.logoutUri, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(opts.timeoutMs)
      })
      await res.body?.cancel()
      if (res.ok) opts.log.info({ clientId, sids: sids.length, ms: Date.now() - started }, 'back-channel logout delivered')
      else {
        opts.onFailure?.(clientId, 'refused')
        opts.log.warn({ clientId, status: res.status }, 'back-channel logout refused by the client')
      }
    } catch (err) {
      opts.onFailure?.(clientId, 'unreachable')
      opts.log.warn({ clientId, err: (err as Error).message }, 'back-channel logout not delivered; the client will see the logout at its next check')
    }
  }))
}
