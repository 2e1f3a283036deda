import { createHash, randomBytes } from 'node:crypto'
import type { RedisClient } from '@kefu/service'

/** What a ticket stands for: one A login, for one client, until `expiresAt`. */
export interface TicketGrant {
  clientId: string
  sub: string
  username: string
  sid: string
  expiresAt: number
}

/**
 * One-time tickets and, per A login (`sid`), the clients that redeemed one (they get the back-channel logout).
 * Tickets are stored under their SHA-256, so a dump of the store holds nothing redeemable.
 */
export interface TicketStore {
  /** Stores a grant under a fresh ticket and returns the ticket. */
  issue (grant: TicketGrant): Promise<string>
  /** Reads and deletes in one step: the first attempt burns the ticket, whatever its outcome. */
  take (ticket: string): Promise<TicketGrant | null>
  /** Remembers that `clientId` holds a session from A login `sid`, for `ttlMs`. */
  addParticipant (sid: string, clientId: string, ttlMs: number): Promise<void>
  /** Whether `clientId` redeemed a ticket of A login `sid` (and the login has not ended since). */
  isParticipant (sid: string, clientId: string): Promise<boolean>
  /** Reads and forgets the clients of each A login. */
  takeParticipants (sids: readonly string[]): Promise<Map<string, string[]>>
}

function newTicket (): string {
  return randomBytes(32).toString('base64url')
}

function digest (ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url')
}

export function createMemoryTicketStore (now: () => number): TicketStore {
  const tickets = new Map<string, TicketGrant>()
  const participants = new Map<string, { clients: Set<string>, expiresAt: number }>()
  function sweep (t: number): void {
    for (const [key, grant] of tickets) {
      if (grant.expiresAt > t) break
      tickets.delete(key)
    }
    let n = 0
    for (const [sid, p] of participants) {
      if (++n > 32) break
      if (p.expiresAt <= t) participants.delete(sid)
    }
  }
  return {
    async issue (grant) {
      sweep(now())
      const ticket = newTicket()
      tickets.set(digest(ticket), grant)
      return ticket
    },
    async take (ticket) {
      const key = digest(ticket)
      const grant = tickets.get(key) ?? null
      tickets.delete(key)
      return grant
    },
    async addParticipant (sid, clientId, ttlMs) {
      const t = now()
      const entry = participants.get(sid)
      if (entry === undefined || entry.expiresAt <= t) {
        participants.delete(sid)
        participants.set(sid, { clients: new Set([clientId]), expiresAt: t + ttlMs })
      } else {
        entry.clients.add(clientId)
        entry.expiresAt = t + ttlMs
      }
    },
    async isParticipant (sid, clientId) {
      const entry = participants.get(sid)
      return entry !== undefined && entry.expiresAt > now() && entry.clients.has(clientId)
    },
    async takeParticipants (sids) {
      const t = now()
      const out = new Map<string, string[]>()
      for (const sid of sids) {
        const entry = participants.get(sid)
        participants.delete(sid)
        if (entry !== undefined && entry.expiresAt > t) out.set(sid, [...entry.clients])
      }
      return out
    }
  }
}

/** Redis keeps a ticket this much longer than its validity; the decision is made from `expiresAt`. */
const TICKET_GRACE_MS = 5_000

export function createRedisTicketStore (client: RedisClient, prefix: string, now: () => number): TicketStore {
  return {
    async issue (grant) {
      const ticket = newTicket()
      const ttl = Math.max(1, grant.expiresAt - now()) + TICKET_GRACE_MS
      await client.set(prefix + 'ticket:' + digest(ticket), JSON.stringify(grant), { expiration: { type: 'PX', value: ttl } })
      return ticket
    },
    async take (ticket) {
      const raw = await client.getDel(prefix + 'ticket:' + digest(ticket))
      return raw === null || raw === undefined ? null : JSON.parse(String(raw)) as TicketGrant
    },
    async addParticipant (sid, clientId, ttlMs) {
      const key = prefix + 'sid:' + sid
      await client.multi().sAdd(key, clientId).pExpire(key, ttlMs).exec()
    },
    async isParticipant (sid, clientId) {
      return await client.sIsMember(prefix + 'sid:' + sid, clientId) === 1
    },
    async takeParticipants (sids) {
      const out = new Map<string, string[]>()
      await Promise.all(sids.map(async (sid) => {
        const key = prefix + 'sid:' + sid
        const [members] = await client.multi().sMembers(key).del(key).exec() as unknown as [string[], number]
        if (Array.isArray(members) && members.length > 0) out.set(sid, members.map(String))
      }))
      return out
    }
  }
}
