// Live streams are bounded: a few per agent (across instances), a client that does not read is cut off before what
// waits for it grows, and one check per interval looks at every open stream's session together.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { createClient } from 'redis'
import type { PrismaClient } from '@kefu/db'
import { CHANGES_CHANNEL } from './plugin.js'
import { APPS, Agent, addAgent, openedStream, openStream, signedIn, startConsoleSystem, type ConsoleSystem, type EventStream } from '../../test/helper.js'

const real = process.env.DATABASE_URL !== undefined && process.env.REDIS_URL !== undefined
const SAFE = APPS[0]!.appid
const CHECK_MS = 200
const PER_AGENT = 5
const MAX_BUFFERED = 1024 * 1024

// What the console asks while its streams are open: A's /sso/check, and the database for the agents' mini programs
// and their connection marks.
const asked = { a: 0, apps: 0, marks: 0 }
const sys = await startConsoleSystem(t, {
  label: 'console_live_limits',
  worker: { autoAssignSweepMs: 0 },
  console: {
    sessionCheckMs: CHECK_MS,
    // A's answer is not reused: every look at a login is a call to A, and counts.
    checkIntervalMs: 1,
    fetch: async (input, init) => {
      if (typeof input === 'string' && input.endsWith('/sso/check')) asked.a++
      return await fetch(input, init)
    }
  },
  consolePrisma: (prisma) => prisma.$extends({
    query: {
      async $allOperations ({ model, operation, args, query }) {
        if (model === 'AgentApp' && operation.startsWith('find')) asked.apps++
        if (operation === '$executeRaw' && JSON.stringify(args).includes('connected_at')) asked.marks++
        return await query(args)
      }
    }
  }) as unknown as PrismaClient
})

async function until (what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

t.test('one check for all open streams: A and the database are asked once per login and interval, not once per stream', async (t) => {
  const alice = await signedIn(sys, 'alice')
  const streams: EventStream[] = []
  for (let i = 0; i < PER_AGENT - 1; i++) streams.push(await openedStream(t, sys, alice))

  asked.a = 0
  asked.apps = 0
  asked.marks = 0
  const started = Date.now()
  await until('ten calls to A', () => asked.a >= 10, 10_000)
  const elapsed = Date.now() - started
  // A timer of CHECK_MS fires at most this often in `elapsed`; one more for a check that was under way at the start.
  const checks = Math.floor(elapsed / CHECK_MS) + 2
  t.ok(asked.a <= checks, `${asked.a} calls to A's /sso/check in ${elapsed} ms for ${streams.length} streams of one login: at most one per check (${checks})`)
  t.ok(asked.apps >= 1 && asked.apps <= checks, `${asked.apps} queries of the agents' mini programs: at most one per check (${checks})`)
  t.ok(asked.marks <= 1, `${asked.marks} connection marks (one per agent every 30 s)`)

  // Another browser of the same account: another A login, whose stream outlives the first login's.
  const elsewhere = await openedStream(t, sys, await signedIn(sys, 'alice'))
  const logout = await alice.request(sys.a, 'POST', '/logout', { headers: { origin: sys.a.url, 'content-type': 'application/json' }, body: '{}' })
  t.ok(logout.status < 400, `logout at A: ${logout.status}`)
  for (const [i, s] of streams.entries()) t.match(await s.nextOf('ended', 5000), { event: 'ended' }, `stream ${i + 1} of the login ended`)
  await sys.push(SAFE, 'text', { from: 'o_limits_after_logout', content: 'still here' })
  t.match(await elsewhere.nextOf('message'), { data: { text: 'still here' } }, 'the other login\'s stream is still live')
})

t.test(`an agent has at most ${PER_AGENT} live streams: each newer one closes the oldest, which is told why`, async (t) => {
  await addAgent(sys, 'mallory', [SAFE])
  const alice = await signedIn(sys, 'alice')
  const mallory = await openedStream(t, sys, await signedIn(sys, 'mallory'))
  const streams: EventStream[] = []
  for (let i = 0; i < PER_AGENT + 7; i++) streams.push(await openedStream(t, sys, alice))
  for (const [i, s] of streams.slice(0, 7).entries()) {
    t.match(await s.nextOf('replaced'), { data: { limit: PER_AGENT } }, `stream ${i + 1} was replaced`)
    await t.rejects(s.next(), /stream ended/, 'and closed')
  }
  await sys.push(SAFE, 'text', { from: 'o_limits_cap', content: 'for the newest' })
  for (const s of streams.slice(7)) t.match(await s.nextOf('message'), { data: { text: 'for the newest' } }, 'the newest streams are live')
  t.match(await mallory.nextOf('message'), { data: { text: 'for the newest' } }, 'another agent\'s stream is not counted with them')
})

t.test('the cap holds across console instances, and an eviction whose announcement was lost is still made', { skip: !real && 'needs DATABASE_URL and REDIS_URL (embedded run)' }, async (t) => {
  const second = await sys.startConsole()
  // A name of this run only: its keys are found in Redis by it.
  const name = 'carol' + randomBytes(4).toString('hex')
  await addAgent(sys, name, [SAFE])
  const carol = await signedIn(sys, name)
  const streams: EventStream[] = []
  for (let i = 0; i < PER_AGENT; i++) streams.push(await openedStream(t, sys, carol, i < 3 ? sys.console : second))
  const newest = await openedStream(t, sys, carol, second)
  t.match(await streams[0]!.nextOf('replaced'), { data: { limit: PER_AGENT } }, 'the oldest, on console #1, closed for the newest on console #2')

  // As if another instance evicted the next oldest and its announcement never arrived: the heartbeat finds out.
  const redis = createClient({ url: process.env.REDIS_URL })
  await redis.connect()
  t.teardown(() => redis.destroy())
  const keys: string[] = []
  for await (const batch of redis.scanIterator({ MATCH: `kefu:test:*console:*:console:streams:opened:{${name}}`, COUNT: 1000 })) keys.push(...batch)
  t.equal(keys.length, 1, 'the agent\'s streams are counted in Redis')
  const key = keys[0]
  const [oldest] = await redis.zRange(key!, 0, 0)
  await redis.zRem(key!, oldest!)
  t.match(await streams[1]!.nextOf('replaced', 3000), { event: 'replaced' }, 'closed at the next check')
  await sys.push(SAFE, 'text', { from: 'o_limits_instances', content: 'for the rest' })
  for (const s of [...streams.slice(2), newest]) t.match(await s.nextOf('message'), { data: { text: 'for the rest' } })
})

/** A client of GET /api/events that reads the response head and then nothing, and the console's end of it. */
async function stalledStream (s: ConsoleSystem, agent: Agent): Promise<{ client: net.Socket, server: net.Socket }> {
  const site = s.console
  const host = new URL(site.url).host
  const cookie = agent.cookieHeader(site)
  const internal = new URL(site.internalUrl)
  const accepted = new Promise<net.Socket>((resolve) => {
    const onConnection = (socket: net.Socket): void => {
      if (socket.remotePort !== client.localPort) return
      site.app.server.off('connection', onConnection)
      resolve(socket)
    }
    site.app.server.on('connection', onConnection)
  })
  const client = net.connect(Number(internal.port), internal.hostname)
  await once(client, 'connect')
  const server = await accepted
  client.write(`GET /api/events HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nAccept: text/event-stream\r\n\r\n`)
  const [head] = await once(client, 'data') as [Buffer]
  if (!head.toString().startsWith('HTTP/1.1 200')) throw new Error('events: ' + head.toString().split('\r\n')[0])
  client.pause()
  client.on('error', () => {})
  return { client, server }
}

/** A colleague's change with a long note: 64 KiB on every stream of the mini program. */
const BIG = JSON.stringify({ conversation: { conversation: { appId: SAFE, openid: 'o_limits_big' }, activities: [{ type: 'note', text: 'x'.repeat(64 * 1024) }], changed: ['note'] } })

t.test(`a client that does not read is cut off once ${MAX_BUFFERED} bytes wait for it`, async (t) => {
  const alice = await signedIn(sys, 'alice')
  const stalled = await Promise.all([1, 2, 3, 4].map(() => stalledStream(sys, alice)))
  const before = process.memoryUsage()
  let most = 0
  let sent = 0
  while (sent < 400 && stalled.some((x) => !x.server.destroyed)) {
    await sys.bus.publish(CHANGES_CHANNEL, BIG)
    sent++
    await new Promise((resolve) => setImmediate(resolve))
    for (const x of stalled) if (!x.server.destroyed) most = Math.max(most, x.server.writableLength)
  }
  const after = process.memoryUsage()
  t.comment(`${sent} changes of 64 KiB (${(sent * 64 / 1024).toFixed(1)} MiB per stream) to 4 streams that do not read: ` +
    `at most ${most} bytes waited for one; rss ${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB, ` +
    `heap ${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(1)} MiB, external ${((after.external - before.external) / 2 ** 20).toFixed(1)} MiB`)
  t.ok(most <= MAX_BUFFERED + BIG.length + 1000, `what waited stayed within the bound plus one event (${most} bytes)`)
  t.ok(sent < 400, `cut off after ${sent} changes`)
  await until('the stalled streams closed', () => stalled.every((x) => x.server.destroyed))
  for (const x of stalled) {
    if (!x.client.destroyed) x.client.resume()
    await until('the client sees the end', () => x.client.destroyed || x.client.readableEnded)
  }
})

t.test('a client that does not read is cut off when nothing drains for a while, even below the byte bound', async (t) => {
  const slow = await startConsoleSystem(t, { label: 'console_live_drain', console: { liveStreams: { drainTimeoutMs: 1500 } }, worker: { autoAssignSweepMs: 0 } })
  const alice = new Agent()
  await alice.signIn(slow)
  const { client, server } = await stalledStream(slow, alice)
  t.teardown(() => client.destroy())
  // Until what the kernel takes is full and the console holds some.
  let most = 0
  for (let i = 0; i < 400 && server.writableLength < 64 * 1024; i++) {
    await slow.bus.publish(CHANGES_CHANNEL, BIG)
    await new Promise((resolve) => setImmediate(resolve))
    most = Math.max(most, server.writableLength)
  }
  t.ok(server.writableLength >= 64 * 1024 && !server.destroyed, `${server.writableLength} bytes wait, the stream is open`)
  // Nothing is written any more: only the drain timeout can close it.
  await until('the stream closed', () => server.destroyed, 5000)
  t.ok(most < MAX_BUFFERED, `below the byte bound (at most ${most} bytes waited)`)

  // Ended for another reason (here a newer tab) while its client does not read: its last event cannot be sent
  // either, and what waits is dropped after the same time.
  const again = await stalledStream(slow, alice)
  t.teardown(() => again.client.destroy())
  const others: EventStream[] = []
  const another = async (): Promise<void> => {
    const s = await openStream(slow, alice)
    t.teardown(s.close)
    others.push(s)
  }
  for (let i = 0; i < PER_AGENT - 1; i++) await another()
  for (let i = 0; i < 400 && again.server.writableLength < 64 * 1024; i++) {
    await slow.bus.publish(CHANGES_CHANNEL, BIG)
    await new Promise((resolve) => setImmediate(resolve))
  }
  // At once, well within the drain timeout: what closes it must be the end of a replaced stream.
  await another()
  await others.at(-1)!.nextOf('hello')
  t.ok(!again.server.destroyed && again.server.writableLength >= 64 * 1024, `${again.server.writableLength} bytes wait for the replaced stream`)
  await until('the replaced stream\'s connection closed', () => again.server.destroyed, 5000)
})
