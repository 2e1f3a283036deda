import type { SessionLimits } from './store.js'

/**
 * The expiry decision, the one rule of this package: a session is live while it has been idle for less than the
 * idle limit AND exists for less than the absolute limit. At the limit it is gone.
 * The memory store calls this function; the Redis scripts carry the same two comparisons in Lua (`LIVE_LUA`), and
 * the shared store test suite pins both at limit − 1 ms and at the limit.
 */
export function isLive (createdAt: number, lastSeenAt: number, now: number, limits: SessionLimits): boolean {
  return now - lastSeenAt < limits.idleMs && now - createdAt < limits.absoluteMs
}

/** When a session that was last seen at `lastSeenAt` ends if nobody uses it again. */
export function expiresAt (createdAt: number, lastSeenAt: number, limits: SessionLimits): number {
  return Math.min(lastSeenAt + limits.idleMs, createdAt + limits.absoluteMs)
}

export const LIVE_LUA = `
local function live(c, l, now, idle, abs)
  return c ~= nil and l ~= nil and now - l < idle and now - c < abs
end
`
