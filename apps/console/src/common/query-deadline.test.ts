// withDeadline's transaction: its statements are stopped at the deadline and are never JIT-compiled (compiling a
// statement that runs for milliseconds took 100-200 ms once the table was big enough for its estimated cost).
import t from 'tap'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { withDeadline } from './query-deadline.js'

t.test('withDeadline: the statement timeout is the deadline and JIT is off, for that transaction only', async (t) => {
  const db = await createTestDatabase('query_deadline')
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  const settings = async (q: Pick<typeof prisma, '$queryRawUnsafe'>): Promise<unknown> =>
    (await q.$queryRawUnsafe<unknown[]>("SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS timeout"))[0]
  await prisma.$executeRawUnsafe('SET jit = on')
  t.same(await withDeadline(prisma, 1234, 'too slow', async (tx) => await settings(tx)), { jit: 'off', timeout: '1234ms' }, 'inside')
  t.not((await settings(prisma) as { timeout: string }).timeout, '1234ms', 'not after it')
})
