import { createHash } from 'node:crypto'
import { hashTag, sendCommand, type RedisClient } from '@kefu/service'

/**
 * The live streams each agent has open, across console instances: what keeps an agent within the cap. A new stream
 * is counted with the others; past the cap the oldest are given back to be closed (a few tabs are normal, a loop
 * opening streams is not, and the newest tab is the one the person is looking at).
 */
export interface StreamRegistry {
  /** Counts stream `id` of `username`; resolves to the ids to close, oldest first, so that `perAgent` remain. */
  open: (username: string, id: string) => Promise<string[]>
  /** The streams open here are still open; resolves to those no longer counted (closed because newer ones opened). */
  refresh: (byAgent: Map<string, string[]>) => Promise<string[]>
  /** Stream `id` closed. */
  close: (username: string, id: string) => Promise<void>
}

export function createMemoryStreamRegistry (perAgent: number): StreamRegistry {
  /** username → ids in the order they opened. */
  const agents = new Map<string, string[]>()
  return {
    async open (username, id) {
      const ids = [...(agents.get(username) ?? []), id]
      const evicted = ids.splice(0, Math.max(0, ids.length - perAgent))
      agents.set(username, ids)
      return evicted
    },
    async refresh (byAgent) {
      const gone: string[] = []
      for (const [username, ids] of byAgent) {
        const counted = new Set(agents.get(username) ?? [])
        for (const id of ids) if (!counted.has(id)) gone.push(id)
      }
      return gone
    },
    async close (username, id) {
      const ids = (agents.get(username) ?? []).filter((x) => x !== id)
      if (ids.length === 0) agents.delete(username)
      else agents.set(username, ids)
    }
  }
}

interface Script { lua: string, sha: string }
function script (lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') }
}

// Times are Redis's own (TIME, in microseconds): instances' clocks need not agree on which stream is the oldest.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
`

/**
 * KEYS: opened (member → when it opened), seen (member → last heartbeat). ARGV: id, perAgent, staleMs.
 * Streams of an instance that stopped sending heartbeats (it crashed) are forgotten first; returns the evicted ids.
 */
const OPEN = script(NOW + `
local stale = now - tonumber(ARGV[3]) * 1000
local below = '(' .. string.format('%d', stale)
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', below)
for _, m in ipairs(dead) do redis.call('ZREM', KEYS[1], m) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', below)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
local evicted = {}
if over > 0 then
  evicted = redis.call('ZRANGE', KEYS[1], 0, over - 1)
  for _, m in ipairs(evicted) do
    redis.call('ZREM', KEYS[1], m)
    redis.call('ZREM', KEYS[2], m)
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return evicted
`)

/** KEYS: opened, seen. ARGV: staleMs, ids… Returns the ids no longer counted. */
const REFRESH = script(NOW + `
local gone = {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[2], now, ARGV[i])
  else
    gone[#gone + 1] = ARGV[i]
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return gone
`)

/**
 * Shared by every instance through Redis: a sorted set of stream ids per agent (by when they opened) and one of
 * heartbeats, so that the streams of a crashed instance stop counting after `staleMs`. The instance that evicts a
 * stream of another announces it on the bus; `refresh` (each instance's heartbeat) finds any it missed.
 */
export function createRedisStreamRegistry (client: RedisClient, prefix: string, perAgent: number, staleMs: number): StreamRegistry {
  // Both sets of an agent carry the username as their hash tag: one slot of a Redis Cluster, for the scripts and MULTI.
  const keys = (username: string): string[] => [prefix + 'opened:' + hashTag(username), prefix + 'seen:' + hashTag(username)]
  async function run (s: Script, keys: string[], args: string[]): Promise<string[]> {
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return await sendCommand(client, ['EVALSHA', s.sha, ...tail]) as string[]
    } catch (err) {
      // Redis lost its script cache (a restart, a failover, SCRIPT FLUSH).
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err
      return await sendCommand(client, ['EVAL', s.lua, ...tail]) as string[]
    }
  }
  return {
    async open (username, id) {
      return await run(OPEN, keys(username), [id, String(perAgent), String(staleMs)])
    },
    async refresh (byAgent) {
      // One script per agent, sent together: one round trip.
      const answers = await Promise.all([...byAgent].map(([username, ids]) => run(REFRESH, keys(username), [String(staleMs), ...ids])))
      return answers.flat()
    },
    async close (username, id) {
      const [opened, seen] = keys(username) as [string, string]
      await client.multi().zRem(opened, id).zRem(seen, id).exec()
    }
  }
}
