// The demo's quick replies: each demo mini program gets a few from its first start, and a later start leaves what
// agents changed or deleted alone.
import t from 'tap'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
// @ts-expect-error: a plain ES module of the launcher, without types
import { DEMO_QUICK_REPLIES, seedDemoQuickReplies } from '../../../scripts/demo-quick-replies.mjs'

const db = await createTestDatabase('demo_quick_replies')
t.teardown(db.drop)
const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
t.teardown(() => prisma.$disconnect())
const APPS = ['wxkefudemo00000001', 'wxkefudemo00000002']

t.test('the first start gives each demo mini program the shared quick replies', async (t) => {
  await seedDemoQuickReplies(prisma, APPS, 'demo')
  for (const appId of APPS) {
    const rows = await prisma.quickReply.findMany({ where: { scope: 'app', scopeId: appId }, orderBy: { id: 'asc' } })
    t.same(rows.map((r) => r.shortcut), (DEMO_QUICK_REPLIES as Array<{ shortcut: string }>).map((q) => q.shortcut), appId)
    t.ok(rows.length >= 3 && rows.every((r) => r.text !== '' && r.createdBy === 'demo'))
  }
})

t.test('a later start keeps what agents changed and deleted', async (t) => {
  await prisma.quickReply.deleteMany({ where: { scope: 'app', scopeId: APPS[0], shortcut: 'bye' } })
  await seedDemoQuickReplies(prisma, APPS, 'demo')
  t.equal(await prisma.quickReply.count({ where: { scope: 'app', scopeId: APPS[0] } }), DEMO_QUICK_REPLIES.length - 1, 'the deleted one stays deleted')
  t.equal(await prisma.quickReply.count({ where: { scope: 'app', scopeId: APPS[1] } }), DEMO_QUICK_REPLIES.length, 'no duplicates')
})
