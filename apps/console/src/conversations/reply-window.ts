/**
 * WeChat's customer-service reply windows for mini programs: after a user's message, up to 5 replies within 48 hours;
 * after user_enter_tempsession, up to 2 replies within 1 minute. Replies outside them fail with 45015 (window) or 45047
 * (quota). https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/kf-mgnt/kf-message/sendCustomMessage.html
 */
export const MESSAGE_WINDOW_MS = 48 * 3600 * 1000
export const MESSAGE_WINDOW_QUOTA = 5
export const ENTER_WINDOW_MS = 60 * 1000
export const ENTER_WINDOW_QUOTA = 2

export interface WindowInput {
  now: number
  lastInboundAt: number | null
  lastEnterAt: number | null
  /** Times of replies sent (or being sent), newest last or in any order. */
  replies: number[]
}

export interface ReplyWindow {
  open: boolean
  /** Replies still allowed now. */
  remaining: number
  /** When the current window closes (ms), or null when closed. */
  closesAt: number | null
  /** Which rule opened it. */
  reason: 'message' | 'enter' | 'closed'
}

function windowFrom (start: number | null, length: number, quota: number, input: WindowInput): { remaining: number, closesAt: number } | null {
  if (start === null || input.now >= start + length) return null
  const used = input.replies.filter((t) => t >= start).length
  return { remaining: Math.max(0, quota - used), closesAt: start + length }
}

export function replyWindow (input: WindowInput): ReplyWindow {
  const byMessage = windowFrom(input.lastInboundAt, MESSAGE_WINDOW_MS, MESSAGE_WINDOW_QUOTA, input)
  const byEnter = windowFrom(input.lastEnterAt, ENTER_WINDOW_MS, ENTER_WINDOW_QUOTA, input)
  const best = [byMessage !== null ? { ...byMessage, reason: 'message' as const } : null, byEnter !== null ? { ...byEnter, reason: 'enter' as const } : null]
    .filter((w) => w !== null)
    .sort((a, b) => b.remaining - a.remaining)[0]
  if (best === undefined) return { open: false, remaining: 0, closesAt: null, reason: 'closed' }
  return { open: best.remaining > 0, remaining: best.remaining, closesAt: best.closesAt, reason: best.reason }
}
