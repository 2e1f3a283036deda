// What both suites of this workspace start from: a database of their own, a Prisma client on it and a fake WeChat
// that knows their mini programs, all gone when the test ends.
import { createPrismaClient, type PrismaClient } from '@kefu/db'
import { createTestDatabase, type TestDatabase } from '@kefu/db/testing'
import type { WechatAppConfig } from '@kefu/service'
import { startFakeWechat, type FakeWechat } from '@kefu/wechat-api/testing'

interface Tap { teardown: (fn: () => unknown) => void }

export async function startBackends (t: Tap, label: string, apps: readonly WechatAppConfig[]): Promise<{ db: TestDatabase, prisma: PrismaClient, fake: FakeWechat }> {
  const db = await createTestDatabase(label)
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: 2 })
  t.teardown(() => prisma.$disconnect())
  const fake = await startFakeWechat({ apps: apps.map((a) => ({ appid: a.appid, secret: a.secret! })) })
  t.teardown(() => fake.close())
  return { db, prisma, fake }
}
