import { createClient, type RedisClientType } from 'redis'

export type RedisClient = RedisClientType<any, any, any, any, any>

/**
 * A node-redis client that fails fast while Redis is away (no offline queue: callers answer 503 instead of hanging)
 * and reconnects by itself. Errors are reported once per distinct message, not once per retry.
 */
export async function createRedisClient (url: string, onError: (message: string) => void = () => {}): Promise<RedisClient> {
  const client: RedisClient = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) }
  })
  let lastError = ''
  client.on('error', (err: Error) => {
    if (err.message !== lastError) onError(err.message)
    lastError = err.message
  })
  client.on('ready', () => { lastError = '' })
  await client.connect()
  return client
}
