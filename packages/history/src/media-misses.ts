import type { RedisClient } from '@kefu/service'

/**
 * Media ids WeChat said it does not know (errcode 40007) that no kept message names, remembered for a while so that
 * asking for one again does not ask WeChat again. WeChat issues a media_id with its file, so one it does not know now
 * it never will: an entry stays true as long as it lives, and its lifetime only bounds what is kept. Shared through
 * Redis when there is one (any instance may be asked next); in this process's memory otherwise, where only one
 * console runs (its sessions are in memory too).
 */
export interface UnknownMedia {
  /** WeChat's answer, while remembered; null otherwise. */
  get: (appId: string, mediaId: string) => Promise<string | null>
  remember: (appId: string, mediaId: string, answer: string) => Promise<void>
}

/** How long "WeChat does not know this media_id" is remembered. */
export const UNKNOWN_MEDIA_TTL_MS = 3_600_000
/** Entries kept in memory without Redis; the oldest goes first. */
export const UNKNOWN_MEDIA_MEMORY_ENTRIES = 10_000

export function createMemoryUnknownMedia (ttlMs = UNKNOWN_MEDIA_TTL_MS, now: () => number = Date.now, capacity = UNKNOWN_MEDIA_MEMORY_ENTRIES): UnknownMedia {
  const entries = new Map<string, { answer: string, until: number }>()
  return {
    async get (appId, mediaId) {
      const key = `${appId}/${mediaId}`
      const entry = entries.get(key)
      if (entry === undefined) return null
      if (entry.until > now()) return entry.answer
      entries.delete(key)
      return null
    },
    async remember (appId, mediaId, answer) {
      const key = `${appId}/${mediaId}`
      entries.delete(key)
      // Maps iterate in insertion order: the first key is the oldest entry.
      if (entries.size >= capacity) entries.delete(entries.keys().next().value as string)
      entries.set(key, { answer, until: now() + ttlMs })
    }
  }
}

export function createRedisUnknownMedia (client: RedisClient, prefix: string, ttlMs = UNKNOWN_MEDIA_TTL_MS): UnknownMedia {
  return {
    async get (appId, mediaId) {
      return await client.get(`${prefix}${appId}/${mediaId}`) as string | null
    },
    async remember (appId, mediaId, answer) {
      await client.set(`${prefix}${appId}/${mediaId}`, answer, { expiration: { type: 'PX', value: ttlMs } })
    }
  }
}
