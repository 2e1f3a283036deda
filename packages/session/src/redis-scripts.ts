import { createHash } from 'node:crypto'
import { LIVE_LUA } from './expiry.js'

export interface Script {
  readonly name: string
  readonly lua: string
  readonly sha: string
}

function script (name: string, body: string): Script {
  const lua = LIVE_LUA + body
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') }
}

const INT = `
local function int(x) return string.format('%d', x) end
`

/**
 * Read + check + touch, the only command of an authenticated request.
 * KEYS: session. ARGV: now, idleMs, absoluteMs, graceMs.
 * Returns the hash (flat field/value list) when live; the user id (a string) when it was expired and is now
 * deleted, so the caller can prune the user's index; nil when there is no such session.
 * Redis TTL only reclaims memory: it is set `grace` past the deadline computed from the stored timestamps.
 */
export const TOUCH = script('touch', INT + `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return false end
local now, idle, abs, grace = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local c, l, u
for i = 1, #h, 2 do
  local f = h[i]
  if f == 'c' then c = tonumber(h[i + 1])
  elseif f == 'l' then l = tonumber(h[i + 1])
  elseif f == 'u' then u = h[i + 1] end
end
if u == nil or not live(c, l, now, idle, abs) then
  redis.call('DEL', KEYS[1])
  return u or ''
end
if now > l then
  redis.call('HSET', KEYS[1], 'l', ARGV[1])
  l = now
end
redis.call('PEXPIRE', KEYS[1], int(math.min(l + idle, c + abs) - now + grace))
return h
`)

/**
 * Login: create the new session, index it under its user, and kill the session it replaces, atomically.
 * KEYS: session, user index[, replaced session, its user index]. ARGV: now, idleMs, absoluteMs, graceMs, handle,
 * replaced handle or '', then the hash as field/value pairs.
 */
export const CREATE = script('create', INT + `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('ERR session id collision') end
local now, idle, abs, grace = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[1], int(math.min(idle, abs) + grace))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
redis.call('ZADD', KEYS[2], int(now + abs), ARGV[5])
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[2], int(tonumber(top[2]) - now + grace))
if ARGV[6] ~= '' then
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[4], ARGV[6])
end
return 1
`)

/**
 * Partial write that cannot resurrect: it changes only the given fields, and only while the session is live.
 * KEYS: session. ARGV: now, idleMs, absoluteMs, n, n values of field/value pairs, then fields to delete.
 * Returns 1 when written, 0 when there is no such session, the user id when it was expired (now deleted).
 */
export const UPDATE = script('update', `
local v = redis.call('HMGET', KEYS[1], 'c', 'l', 'u')
if not v[3] then return 0 end
local now, idle, abs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if not live(tonumber(v[1]), tonumber(v[2]), now, idle, abs) then
  redis.call('DEL', KEYS[1])
  return v[3]
end
local n = tonumber(ARGV[4])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + n)) end
if #ARGV > 4 + n then redis.call('HDEL', KEYS[1], unpack(ARGV, 5 + n)) end
return 1
`)

/**
 * A session named by its handle, without its id: is it live now, and (with an activity time) move its last-seen
 * forward to that time — never backward, never past now (so never past the absolute deadline: it is live now).
 * KEYS: session, user index. ARGV: now, idleMs, absoluteMs, graceMs, handle, userId, activityAt or ''.
 * Returns {createdAt, lastSeenAt} when live and owned by userId; 0 otherwise (an expired session is deleted).
 */
export const TOUCH_HANDLE = script('touch-handle', INT + `
local v = redis.call('HMGET', KEYS[1], 'c', 'l', 'u')
if not v[3] or v[3] ~= ARGV[6] then return 0 end
local now, idle, abs, grace = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local c, l = tonumber(v[1]), tonumber(v[2])
if not live(c, l, now, idle, abs) then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[5])
  return 0
end
if ARGV[7] ~= '' then
  local at = math.min(tonumber(ARGV[7]), now)
  if at > l then
    l = at
    redis.call('HSET', KEYS[1], 'l', int(l))
    redis.call('PEXPIRE', KEYS[1], int(math.min(l + idle, c + abs) - now + grace))
  end
end
return {int(c), int(l)}
`)

/** KEYS: session, user index. ARGV: handle, userId. Deletes the session if it is that user's; returns 1 if it did. */
export const DESTROY = script('destroy', `
local n = 0
if redis.call('HGET', KEYS[1], 'u') == ARGV[2] then n = redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
return n
`)

/**
 * List a user's live sessions and prune the index. KEYS: user index, then one session key per handle.
 * ARGV: now, idleMs, absoluteMs, userId, then the handles. Returns handle, username, createdAt, lastSeenAt per live
 * session.
 */
export const LIST = script('list', `
local now, idle, abs, user = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local out = {}
for i = 2, #KEYS do
  local id = ARGV[i + 3]
  local v = redis.call('HMGET', KEYS[i], 'c', 'l', 'u', 'n')
  if v[3] ~= user then
    redis.call('ZREM', KEYS[1], id)
  elseif not live(tonumber(v[1]), tonumber(v[2]), now, idle, abs) then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[1], id)
  else
    out[#out + 1] = id
    out[#out + 1] = v[4] or ''
    out[#out + 1] = v[1]
    out[#out + 1] = v[2]
  end
end
return out
`)

/** Same KEYS and ARGV as LIST; destroys them all and returns how many were live. */
export const DESTROY_ALL = script('destroy-all', `
local now, idle, abs, user = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local n = 0
for i = 2, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'c', 'l', 'u')
  if v[3] == user then
    if live(tonumber(v[1]), tonumber(v[2]), now, idle, abs) then n = n + 1 end
    redis.call('DEL', KEYS[i])
  end
  redis.call('ZREM', KEYS[1], ARGV[i + 3])
end
return n
`)
