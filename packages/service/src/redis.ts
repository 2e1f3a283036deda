import { createHash } from 'node:crypto'
import { createClient, createCluster, type RedisClientType, type RedisClusterType } from 'redis'

/** A client of one Redis server (REDIS_URL). */
export type RedisServerClient = RedisClientType<any, any, any, any, any>
/** A client of a Redis Cluster (REDIS_CLUSTER_URLS): commands go to the master of their first key's slot. */
export type RedisClusterClient = RedisClusterType<any, any, any, any, any>
/**
 * What `fastify.redis` and the stores hold: either kind. Keyed commands (`get`, `set`, `eval`, `multi()` on one
 * slot…) read the same on both; raw commands go through `sendCommand` below, which finds the key a cluster routes by.
 */
export type RedisClient = RedisServerClient | RedisClusterClient

/** Where Redis is: one server's `redis://` URL, or a cluster's seed nodes. */
export type RedisTarget = string | RedisClusterTarget
export interface RedisClusterTarget {
  /** `redis://host:port` (or `rediss://`) URLs of some of the cluster's nodes; the rest are discovered. */
  readonly cluster: readonly string[]
}

export function isClusterTarget (target: RedisTarget): target is RedisClusterTarget {
  return typeof target !== 'string'
}

export function isClusterClient (client: RedisClient): client is RedisClusterClient {
  return 'masters' in client
}

/** A target for logs: passwords replaced by `***`. */
export function describeRedisTarget (target: RedisTarget): string {
  const redact = (url: string): string => {
    try {
      const u = new URL(url)
      if (u.password !== '') u.password = '***'
      return u.toString().replace(/\/$/, '')
    } catch {
      return '(unparsable URL)'
    }
  }
  return isClusterTarget(target) ? `cluster ${target.cluster.map(redact).join(',')}` : redact(target)
}

// Fail fast while a server is away (no offline queue: callers answer 503 instead of hanging) and reconnect by itself.
const SOCKET = { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) }

/**
 * A node-redis client that fails fast while Redis is away and reconnects by itself; a cluster client (node-redis'
 * `createCluster`) for a cluster target, with the same settings on every node's connection. Errors are reported once
 * per distinct message, not once per retry.
 */
export async function createRedisClient (url: string, onError?: (message: string) => void): Promise<RedisServerClient>
export async function createRedisClient (target: RedisClusterTarget, onError?: (message: string) => void): Promise<RedisClusterClient>
export async function createRedisClient (target: RedisTarget, onError?: (message: string) => void): Promise<RedisClient>
export async function createRedisClient (target: RedisTarget, onError: (message: string) => void = () => {}): Promise<RedisClient> {
  const client: RedisClient = isClusterTarget(target) ? clusterClient(target) : createClient({ url: target, disableOfflineQueue: true, socket: SOCKET })
  let lastError = ''
  client.on('error', (err: Error) => {
    if (err.message !== lastError) onError(err.message)
    lastError = err.message
  })
  if (!isClusterClient(client)) client.on('ready', () => { lastError = '' })
  await client.connect()
  return client
}

function clusterClient (target: RedisClusterTarget): RedisClusterClient {
  // Credentials and TLS must be given for every node (the seeds' URLs only serve discovery): the first seed's.
  const first = new URL(target.cluster[0] as string)
  const username = decodeURIComponent(first.username)
  const password = decodeURIComponent(first.password)
  return createCluster({
    rootNodes: target.cluster.map((url) => ({ url })),
    defaults: {
      disableOfflineQueue: true,
      socket: first.protocol === 'rediss:' ? { ...SOCKET, tls: true } : SOCKET,
      ...(username !== '' ? { username } : {}),
      ...(password !== '' ? { password } : {})
    },
    // A master that comes back is found again at the next command that reaches it (MOVED or a reconnection).
    maxCommandRedirections: 8
  })
}

/**
 * The key a raw command is routed by on a cluster: EVAL/EVALSHA's first key, else the first argument. Commands
 * without keys go to any node.
 */
function firstKey (args: readonly string[]): string | undefined {
  const name = (args[0] ?? '').toUpperCase()
  if (name === 'EVAL' || name === 'EVALSHA' || name === 'FCALL') return Number(args[2]) > 0 ? args[3] : undefined
  return args[1]
}

/** A raw command (`['GET', key]`, `['EVALSHA', sha, '2', k1, k2, …]`) on either kind of client. */
export async function sendCommand (client: RedisClient, args: readonly string[]): Promise<unknown> {
  if (isClusterClient(client)) return await client.sendCommand(firstKey(args), false, [...args])
  return await client.sendCommand([...args])
}

/**
 * The `{ isReady, sendCommand(args) }` view of a client that `@kefu/session`'s Redis store takes (it depends on no
 * kefu package): on a cluster, each command is routed by its first key.
 */
export function commandClient (client: RedisClient): { readonly isReady: boolean, sendCommand: (args: readonly string[]) => Promise<unknown> } {
  return {
    get isReady () { return client.isReady },
    async sendCommand (args) { return await sendCommand(client, args) }
  }
}

/** Closes a client: politely while it is connected, at once otherwise. */
export async function closeRedisClient (client: RedisClient): Promise<void> {
  if (client.isReady) await client.close().catch(() => { client.destroy() })
  else client.destroy()
}

/**
 * A key segment that is a hash tag: the part of a key a cluster hashes to pick its slot. Keys that a script or a MULTI
 * touches together carry the same tag, so they live in one slot
 * (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags). A value with a brace (which
 * would end the tag early or leave it empty) is tagged by its SHA-256 instead: still one segment per value.
 */
export function hashTag (value: string): string {
  if (value !== '' && !/[{}]/.test(value)) return '{' + value + '}'
  return '{#' + createHash('sha256').update(value).digest('base64url') + '}'
}
