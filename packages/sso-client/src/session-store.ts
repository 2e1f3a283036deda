import type { FastifyInstance } from 'fastify'
import { createMemoryStore, createRedisStore, instrumentStore, type SessionStore } from '@kefu/session'
import { commandClient, sessionStoreErrors } from '@kefu/service'

/**
 * A B site's session store under `prefix`: in Redis when the app has one (`fastify.redis`, from redisPlugin), else in
 * this process; each failed operation counted in the app's metrics (kefu_session_store_errors_total).
 */
export async function openSessionStore (fastify: FastifyInstance, prefix: string): Promise<SessionStore> {
  const plain = fastify.redis === null
    ? createMemoryStore({ prefix })
    : await createRedisStore({ client: commandClient(fastify.redis), prefix })
  return instrumentStore(plain, sessionStoreErrors(fastify.metrics, plain.kind))
}
