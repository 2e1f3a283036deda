// The automatic-assignment sweep, the worker's: waiting conversations of a mini program set to round robin are
// assigned without a push, each once even with two workers sweeping at the same moment (AutoAssigner's advisory lock
// per mini program), and each assignment is announced to the consoles on their changes channel.
import t, { type Test } from 'tap'
import { AutoAssigner, CHANGES_CHANNEL, type AssignedChange } from '@kefu/assignment'
import type { PrismaClient } from '@kefu/db'
import { createMemoryBus, type EventBus } from '@kefu/service'
import { client, database, startWorker } from './helper.js'

const APP = 'wxc0501e0000000002'
const APPS = [{ appid: APP, token: 'sweepToken2' }]
const realOnly = (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') && 'two workers at once need a real PostgreSQL (embedded run)'

/** Two online agents with a console open, round robin on, `n` conversations waiting for an agent. */
async function waiting (prisma: PrismaClient, n: number): Promise<string[]> {
  for (const username of ['ada', 'bob']) {
    await prisma.agent.create({ data: { username, availability: 'online', connectedAt: new Date() } })
    await prisma.agentApp.create({ data: { username, appId: APP } })
  }
  await prisma.appSetting.create({ data: { appId: APP, autoAssign: 'round_robin', maxOpenPerAgent: 100 } })
  const openids = Array.from({ length: n }, (_, i) => `o_wait_${i}`)
  const at = new Date(Date.now() - 60_000)
  await prisma.conversation.createMany({ data: openids.map((openid) => ({ appId: APP, openid, lastMessageId: 1n, lastMessageAt: at, lastInboundAt: at })) })
  return openids
}

function heard (bus: EventBus): AssignedChange[] {
  const got: AssignedChange[] = []
  void bus.subscribe(CHANGES_CHANNEL, (message) => { got.push(...((JSON.parse(message) as { assigned?: AssignedChange[] }).assigned ?? [])) })
  return got
}

t.test('the sweep assigns what waits, on its own timer, and tells the consoles', async (t) => {
  const prisma = client(t, await database(t, 'sweep_one'))
  const bus = createMemoryBus()
  const announced = heard(bus)
  const openids = await waiting(prisma, 3)
  await startWorker(t, { prisma, bus, apps: APPS, autoAssignSweepMs: 50, history: { worker: false, store: { kind: 'fs', dir: t.testdir({}) } } })
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && await prisma.conversation.count({ where: { assignee: null } }) > 0;) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const rows = await prisma.conversation.findMany({ orderBy: { openid: 'asc' } })
  t.same(rows.map((r) => r.assignee !== null), [true, true, true], 'every waiting conversation assigned')
  t.same(new Set(rows.map((r) => r.assignee)), new Set(['ada', 'bob']), 'round robin: both agents')
  const activities = await prisma.conversationActivity.findMany({ where: { kind: 'assignment', cause: 'auto' } })
  t.equal(activities.length, 3)
  t.same(announced.map((a) => a.openid).sort(), openids, 'each announced once on the consoles\' channel')
  t.same(announced.map((a) => a.activityId).sort(), activities.map((a) => a.id.toString()).sort(), 'with the activity the timeline shows')
})

t.test('two workers sweeping at once assign each conversation exactly once', { skip: realOnly }, async (t) => {
  const db = await database(t, 'sweep_two')
  const seed = client(t, db)
  const bus = createMemoryBus()
  const announced = heard(bus)
  const openids = await waiting(seed, 30)
  const settings = { bus, apps: APPS, autoAssignSweepMs: 0, history: { worker: false, store: { kind: 'fs' as const, dir: t.testdir({}) } } }
  const [a, b] = await Promise.all([0, 1].map(async () => await startWorker(t, { prisma: client(t, db), ...settings })))
  const counts = await Promise.all([a!.assignmentSweep(), b!.assignmentSweep(), a!.assignmentSweep(), b!.assignmentSweep()])
  t.equal(counts.reduce((x, y) => x + y, 0), openids.length, `${openids.length} assignments in all (${counts.join(', ')})`)
  t.equal(await seed.conversation.count({ where: { assignee: null } }), 0, 'none left waiting')
  const activities = await seed.conversationActivity.groupBy({ by: ['openid'], where: { kind: 'assignment', cause: 'auto' }, _count: true })
  t.equal(activities.length, openids.length)
  t.ok(activities.every((g) => g._count === 1), 'one assignment per conversation')
  t.equal(announced.length, openids.length, 'each announced once')
})

t.test('when no agent is under the cap, a push does not wait for the assignment lock: one read, no transaction', { skip: realOnly }, async (t) => {
  const db = await database(t, 'assign_full')
  const prisma = client(t, db)
  const [openid] = await waiting(prisma, 1)
  await prisma.conversation.create({ data: { appId: APP, openid: 'o_taken', lastMessageId: 1n, lastMessageAt: new Date(), lastInboundAt: new Date(), assignee: 'ada' } })
  await prisma.conversation.create({ data: { appId: APP, openid: 'o_taken2', lastMessageId: 1n, lastMessageAt: new Date(), lastInboundAt: new Date(), assignee: 'bob' } })
  // Another process holds the mini program's assignment lock meanwhile: a run that opened its transaction would wait.
  const other = client(t, db)
  let release!: () => void
  let locked!: () => void
  const isLocked = new Promise<void>((resolve) => { locked = resolve })
  const holder = other.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtext(${'kefu.console.auto-assign:' + APP}))`
    locked()
    await new Promise<void>((resolve) => { release = resolve })
  }, { timeout: 30_000 })
  await isLocked
  const assigner = new AutoAssigner(prisma, Date.now)
  const blocked = new Promise<'blocked'>((resolve) => { setTimeout(() => resolve('blocked'), 3000).unref() })
  t.same(await Promise.race([assigner.run(APP, 1, [openid!]), blocked]), [], 'at the cap (1 each): nothing, at once')
  release()
  await holder
  const assigned = await assigner.run(APP, 2, [openid!])
  t.same(assigned.map((a) => a.openid), [openid], 'under a cap of 2: assigned')
})
