import type { Metrics } from '@kefu/service'

/** A's own metrics (besides every service's requests and event-loop delay), named in docs/operations.md. */
export function authMetrics (metrics: Metrics) {
  return {
    /** outcome: success, bad_credentials, limited (too many attempts), refused (cross-site, stale form). */
    logins: metrics.counter('kefu_auth_logins_total', 'Login attempts by outcome', ['outcome']),
    ticketsIssued: metrics.counter('kefu_auth_tickets_issued_total', 'Sync-login tickets issued, by B site', ['client']),
    /** outcome: redeemed, or refused (unknown, used, expired, another site's, its login ended). */
    ticketsRedeemed: metrics.counter('kefu_auth_ticket_redemptions_total', 'Ticket redemptions by B site and outcome', ['client', 'outcome']),
    /** reason: refused (the B site answered an error) or unreachable (no answer in time). */
    backChannelFailures: metrics.counter('kefu_auth_back_channel_failures_total', 'Back-channel logouts not delivered, by B site and reason', ['client', 'reason'])
  }
}

export type AuthMetrics = ReturnType<typeof authMetrics>
