import { EventEmitter } from 'node:events'
import { createRedisClient, isClusterClient, type RedisClient, type RedisServerClient, type RedisTarget } from './redis.js'

export type BusHandler = (message: string) => void

/**
 * Fan-out of small notifications between services (a stored push → open consoles). Redis pub/sub across processes;
 * an in-process emitter when everything runs in one process (embedded mode). Delivery is best effort: subscribers
 * catch up from the database, so a lost notification only delays an update.
 */
export interface EventBus {
  publish: (channel: string, message: string) => Promise<void>
  subscribe: (channel: string, handler: BusHandler) => Promise<() => Promise<void>>
  close: () => Promise<void>
}

export function createMemoryBus (): EventBus {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  return {
    async publish (channel, message) { emitter.emit(channel, message) },
    async subscribe (channel, handler) {
      emitter.on(channel, handler)
      return async () => { emitter.off(channel, handler) }
    },
    async close () { emitter.removeAllListeners() }
  }
}

export interface RedisBusOptions {
  /**
   * Put before every channel's name on Redis: buses with different prefixes on one Redis never hear each other.
   * Tests give each system its own (test files run side by side on one Redis); services use none.
   */
  channelPrefix?: string
}

/**
 * Redis pub/sub. On a cluster, sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7): a channel lives on the master of its
 * slot, so a message crosses one shard instead of being broadcast over the cluster bus to every node, as a cluster's
 * plain PUBLISH is; node-redis subscribes on that master and follows the channel when its slot moves. While that
 * master is away, publishing fails (the caller's error) and subscribers catch up from the database afterwards.
 */
export async function createRedisBus (target: RedisTarget, onError: (message: string) => void = () => {}, options: RedisBusOptions = {}): Promise<EventBus> {
  const prefix = options.channelPrefix ?? ''
  const publisher = await createRedisClient(target, onError)
  if (isClusterClient(publisher)) {
    // The cluster client keeps the sharded subscriptions on connections of their own, one per master.
    return {
      async publish (channel, message) { await publisher.sPublish(prefix + channel, message) },
      async subscribe (channel, handler) {
        const listener = (message: string): void => { handler(message) }
        await publisher.sSubscribe(prefix + channel, listener)
        return async () => { await publisher.sUnsubscribe(prefix + channel, listener) }
      },
      async close () { publisher.destroy() }
    }
  }
  let subscriber: Promise<RedisClient> | undefined
  return {
    async publish (channel, message) { await publisher.publish(prefix + channel, message) },
    async subscribe (channel, handler) {
      // A subscribed connection can do nothing else: one for all subscriptions of this bus, opened on first use.
      subscriber ??= createRedisClient(target, onError)
      const client = await subscriber as RedisServerClient
      const listener = (message: string): void => { handler(message) }
      await client.subscribe(prefix + channel, listener)
      return async () => { await client.unsubscribe(prefix + channel, listener) }
    },
    async close () {
      publisher.destroy()
      if (subscriber !== undefined) (await subscriber.catch(() => undefined))?.destroy()
    }
  }
}
