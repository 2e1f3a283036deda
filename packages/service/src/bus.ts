import { EventEmitter } from 'node:events'
import { createRedisClient, type RedisClient } from './redis.js'

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

export async function createRedisBus (url: string, onError: (message: string) => void = () => {}): Promise<EventBus> {
  const publisher = await createRedisClient(url, onError)
  let subscriber: Promise<RedisClient> | undefined
  return {
    async publish (channel, message) { await publisher.publish(channel, message) },
    async subscribe (channel, handler) {
      // A subscribed connection can do nothing else: one for all subscriptions of this bus, opened on first use.
      subscriber ??= createRedisClient(url, onError)
      const client = await subscriber
      const listener = (message: string): void => { handler(message) }
      await client.subscribe(channel, listener)
      return async () => { await client.unsubscribe(channel, listener) }
    },
    async close () {
      publisher.destroy()
      if (subscriber !== undefined) (await subscriber.catch(() => undefined))?.destroy()
    }
  }
}
