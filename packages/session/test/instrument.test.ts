import t from 'tap'
import { createMemoryStore, instrumentStore, SessionStoreUnavailableError, type SessionStore } from '../src/index.js'

const limits = { idleMs: 60_000, absoluteMs: 600_000 }

t.test('a wrapped store works as the store, and reports each failing operation before its caller sees it', async (t) => {
  const failures: string[] = []
  const memory = createMemoryStore({ prefix: 'kefu:test:instrument:' })
  const store = instrumentStore(memory, (operation) => { failures.push(operation) })
  t.equal(store.kind, 'memory')
  t.equal(store.prefix, 'kefu:test:instrument:')
  await store.create({ id: 'a'.repeat(43), userId: 'u1', username: 'ann', data: {} }, 1000, limits)
  t.ok(await store.touch('a'.repeat(43), 2000, limits), 'reads what it wrote')
  t.same(failures, [], 'nothing failed')

  const away = new SessionStoreUnavailableError('Redis is away')
  const broken = instrumentStore(Object.assign(Object.create(memory) as SessionStore, {
    touch: async () => { throw away },
    destroyAllForUser: async () => { throw away }
  }), (operation, err) => { failures.push(`${operation}: ${err === away ? 'away' : 'other'}`) })
  await t.rejects(broken.touch('a'.repeat(43), 3000, limits), away)
  await t.rejects(broken.destroyAllForUser('u1', 3000, limits), away)
  t.same(failures, ['touch: away', 'destroyAllForUser: away'])
  await store.close()
})
