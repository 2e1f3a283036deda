import type { SessionStore } from './store.js'

const OPERATIONS = ['touch', 'create', 'update', 'destroy', 'destroyHandle', 'touchHandle', 'listForUser', 'destroyAllForUser'] as const

export type StoreOperation = typeof OPERATIONS[number]

/**
 * The same store, reporting each operation that fails (Redis away, a timeout) to `onError` before the caller sees
 * the failure: what a service counts as its session store's errors.
 */
export function instrumentStore<S extends SessionStore> (store: S, onError: (operation: StoreOperation, err: unknown) => void): S {
  const wrapped: Record<string, unknown> = {}
  for (const operation of OPERATIONS) {
    const method = store[operation] as (...args: unknown[]) => Promise<unknown>
    wrapped[operation] = async function instrumented (...args: unknown[]): Promise<unknown> {
      try {
        return await method.apply(store, args)
      } catch (err) {
        onError(operation, err)
        throw err
      }
    }
  }
  wrapped.close = () => store.close()
  // Everything else (kind, prefix, a Redis store's client) is the store's own, through the prototype.
  return Object.assign(Object.create(store) as S, wrapped)
}
