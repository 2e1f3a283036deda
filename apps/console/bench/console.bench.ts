/// <reference lib="dom" />
// pnpm bench:console — with a team at work: 50 more agents connected (a live stream each, read to the end) and 1 000
// open conversations, assigned among them round robin (capped at 20 each, so every push also asks who could take it):
// (1) time from a push acknowledged by ingest to the message visible in an open console in Chromium, over 200 pushes:
// median and p99 (goal p99 ≤ 50 ms; ≤ 100 ms with BENCH_INSTANCES=2 BENCH_AGENTS=200, the streams spread over two
// console instances on Redis); (2) time from a colleague's claim or release (API answered) to the assignee shown in
// that console, 100 changes (same goal); (3) the conversation list's first page with 100 000 messages in the database
// (goal ≤ 50 ms). Pushes and changes are 100 ms apart (BENCH_GAP_MS); the page notes when it showed each by its own clock,
// read at the end. Beside them: the floor of the measurement itself (how closely the bench's clock and the page's agree)
// and this process's CPU per event delivered (ingest and the consoles share the process, so the console's own share
// is at most that; the streams are read by a process of their own, bench/stream-readers.ts, whose CPU is printed
// apart). Loopback only; bounded; uses DATABASE_URL / REDIS_URL when set.
import { appendFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { chromium } from 'playwright-core'
import { APPS, Agent, PASSWORD, addAgent, startConsoleSystem, type ConsoleSystem } from '../test/helper.js'
import { startStreamReaders, type StreamReaders } from './stream-readers.js'

const PUSHES = Number(process.env.BENCH_PUSHES ?? 200)
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000)
const AGENTS = Number(process.env.BENCH_AGENTS ?? 50)
const OPEN = Number(process.env.BENCH_OPEN ?? 1000)
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100)
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 100)
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1)
const GOAL_MS = INSTANCES > 1 ? 100 : 50
const teardowns: Array<() => unknown> = []
const t = { teardown: (fn: () => unknown) => { teardowns.push(fn) } }

/** A CPU profile of this process (ingest and the consoles) while it pushes: BENCH_CPU_PROFILE=<file>.cpuprofile. */
async function startProfile (): Promise<{ stop: (file: string) => Promise<void> }> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 250 })
  await session.post('Profiler.start')
  return {
    async stop (file) {
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
    }
  }
}

/** The page's notes once `done` says all are in, or an error after 5 s. */
async function settled<T> (read: () => Promise<T>, done: (notes: T) => boolean, what: string): Promise<T> {
  for (const deadline = Date.now() + 5000; ; await sleep(50)) {
    const notes = await read()
    if (done(notes)) return notes
    if (Date.now() > deadline) throw new Error(`${what}: not all visible within 5 s`)
  }
}

function stats (xs: number[]): { median: number, p99: number, max: number } {
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!
  return { median: at(0.5), p99: at(0.99), max: s.at(-1)! }
}

/** Opens an agent's live stream in the readers' process, as the agent's browser would. */
async function drain (readers: StreamReaders, sys: ConsoleSystem, agent: Agent, internalUrl: string): Promise<void> {
  await readers.open(internalUrl + '/api/events', { host: new URL(sys.console.url).host, cookie: agent.cookieHeader(sys.console), accept: 'text/event-stream' })
}

try {
  const sys = await startConsoleSystem(t, { label: 'console_bench', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test' })
  const SAFE = APPS[0]!.appid
  // The test system runs the worker in this process; in production it has its own (apps/worker), so here it would
  // take the event loop the consoles are timed on (indexing each push for search, folding the reports): stopped.
  await sys.worker.app.close()
  if (INSTANCES > 2 || (INSTANCES === 2 && process.env.REDIS_URL === undefined)) throw new Error('BENCH_INSTANCES is 1, or 2 with REDIS_URL (the instances share sessions and events through Redis)')
  const instances = [sys.console.internalUrl, ...(INSTANCES === 2 ? [(await sys.startConsole()).internalUrl] : [])]

  // The team: AGENTS agents online on SAFE, each signed in with a live stream open; OPEN open conversations, five in
  // six already assigned among them, the rest waiting; round robin on, at most 20 open conversations each.
  const team: Agent[] = []
  const readers = startStreamReaders()
  t.teardown(() => readers.close())
  for (let i = 0; i < AGENTS; i++) {
    const name = `agent${String(i).padStart(2, '0')}`
    await addAgent(sys, name, [SAFE], { availability: 'online' })
    const agent = new Agent()
    await agent.signIn(sys, name)
    team.push(agent)
    await drain(readers, sys, agent, instances[i % instances.length]!)
  }
  const now = Math.floor(Date.now() / 1000) - 3600
  await sys.prisma.$executeRawUnsafe(`
    INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, msg_info, msg_id, payload, format, wechat_create_time)
    SELECT $1, 'm:' || (800000000000 + g), 'oOpen' || lpad(g::text, 23, '0'), 'gh_seed', 'oOpen' || lpad(g::text, 23, '0'),
      'text', '{"text":"open conversation ' || g || '"}', (800000000000 + g)::text, '{}', 'json', $3::int + g
    FROM generate_series(1, $2::int) AS g`, SAFE, OPEN, now)
  await sys.prisma.$executeRawUnsafe(`
    INSERT INTO conversation (app_id, openid, last_message_id, last_message_at, last_inbound_at, unread_count, status, assignee, assigned_at)
    SELECT app_id, openid, id, to_timestamp(wechat_create_time), to_timestamp(wechat_create_time), 1, 'open',
      CASE WHEN (id % 6) = 0 THEN NULL ELSE 'agent' || lpad(((id % $1::int))::text, 2, '0') END, NULL
    FROM customer_message WHERE from_username LIKE 'oOpen%'`, AGENTS)
  if (process.env.BENCH_ROUND_ROBIN !== '0') await sys.prisma.appSetting.create({ data: { appId: SAFE, autoAssign: 'round_robin', maxOpenPerAgent: 20 } })
  await sys.prisma.$executeRawUnsafe('ANALYZE')
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', `--host-resolver-rules=${sys.hosts.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`]
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
  // The page notes, by its own clock, when each bench message's live event reached it (before it drew it: splits the
  // time into the servers' part and the page's) and when the message was in the DOM; the bench reads the notes once,
  // at the end. (Told over the DevTools protocol as they happened, they cost this process, where the servers under
  // measurement run, more CPU than the console itself: a quarter of its time while pushing.)
  await page.addInitScript(() => {
    const notes = { arrived: {} as Record<string, number>, seen: {} as Record<string, number>, meta: [] as Array<[string, number]> }
    Object.assign(window, { kefuBench: notes })
    const Native = window.EventSource
    window.EventSource = class extends Native {
      constructor (url: string | URL, init?: EventSourceInit) {
        super(url, init)
        this.addEventListener('message', (e) => {
          const m = /bench-\d+/.exec((e as MessageEvent<string>).data)
          if (m !== null) notes.arrived[m[0]] ??= performance.timeOrigin + performance.now()
        })
      }
    }
  })
  await page.goto(sys.a.url + '/login')
  await page.fill('#username', 'alice')
  await page.fill('#password', PASSWORD)
  await Promise.all([page.waitForURL(sys.a.url + '/'), page.keyboard.press('Enter')])
  await page.goto(sys.console.url + '/')
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接', undefined, { timeout: 10_000 })
  type Notes = { arrived: Record<string, number>, seen: Record<string, number>, meta: Array<[string, number]> }
  const notes = async (): Promise<Notes> => await page.evaluate(() => (window as unknown as { kefuBench: Notes }).kefuBench)

  // Each bench message, the moment it is in the DOM.
  await page.evaluate(() => {
    const notes = (window as unknown as { kefuBench: Notes }).kefuBench
    new MutationObserver(() => {
      for (const el of Array.from(document.querySelectorAll('.conv-preview span:last-child'))) {
        const m = /bench-\d+/.exec(el.textContent ?? '')
        if (m !== null) notes.seen[m[0]] ??= performance.timeOrigin + performance.now()
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true })
  })

  // The floor of this measurement: how well the bench's clock and the page's agree. Both count from the machine's
  // wall clock; a reading of the page's clock lies between the moments the bench asked and heard, so the best of 30
  // readings gives the offset to within half its round trip.
  const clock = (): number => performance.timeOrigin + performance.now()
  let offset = 0
  let uncertainty = Infinity
  for (let i = 0; i < 30; i++) {
    const asked = clock()
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now())
    const heard = clock()
    if ((heard - asked) / 2 < uncertainty) {
      uncertainty = (heard - asked) / 2
      offset = pageNow - (asked + heard) / 2
    }
  }
  /** A time the page noted, on the bench's clock. */
  const benchTime = (pageTime: number): number => pageTime - offset

  // Pushes GAP_MS apart once acknowledged (a busy team's rate), none waiting on the page: the page's notes are read
  // at the end.
  const acked: number[] = []
  const readBefore = await readers.count()
  const eventsBefore = readBefore.events
  const cpuBefore = process.cpuUsage()
  const profile = process.env.BENCH_CPU_PROFILE === undefined ? undefined : await startProfile()
  for (let i = 0; i < PUSHES; i++) {
    await sys.push(SAFE, 'text', { from: `oBench${String(i % 20).padStart(22, '0')}`, content: `bench-${i}` })
    acked.push(clock())
    await sleep(GAP_MS)
  }
  const cpu = process.cpuUsage(cpuBefore)
  if (profile !== undefined) await profile.stop(process.env.BENCH_CPU_PROFILE!)
  const pushed = await settled(notes, (n) => Object.keys(n.seen).length >= PUSHES, 'the pushes')
  const latencies: number[] = []
  const serverParts: number[] = []
  for (const [i, at] of acked.entries()) {
    const seenAt = pushed.seen[`bench-${i}`]
    if (seenAt === undefined) throw new Error(`bench-${i} not visible within 5 s`)
    latencies.push(Math.max(0, benchTime(seenAt) - at))
    const arrivedAt = pushed.arrived[`bench-${i}`]
    if (arrivedAt !== undefined) serverParts.push(Math.max(0, benchTime(arrivedAt) - at))
  }
  const live = stats(latencies)
  const serverPart = stats(serverParts.length > 0 ? serverParts : [NaN])
  const readAfter = await readers.count()
  const pushEvents = readAfter.events - eventsBefore

  // A colleague claims and releases oBench…00 over and over; the time until this console shows the new assignee.
  const watched = `oBench${'0'.repeat(22)}`
  const colleague = team[0]!
  const base = `/api/conversations/${SAFE}/${watched}`
  await colleague.api(sys, 'POST', base + '/assign', { to: null, from: (await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: watched } } })).assignee })
  await sleep(GAP_MS)
  await page.evaluate((key) => {
    const notes = (window as unknown as { kefuBench: Notes }).kefuBench
    // The assignee's badge: their initials and name ("AGagent00"), or 未分配. Read now, then at every change of the
    // page. (In an array: a named function here would need a helper tsx adds to the bench, not to the page.)
    let last: string | undefined
    const check = [(): void => {
      const text = document.querySelector(`[data-conversation="${key}"] .conv-meta`)?.textContent ?? ''
      const meta = text.includes('agent00') ? 'agent00' : text.includes('未分配') ? '未分配' : text
      if (last !== undefined && meta !== last) notes.meta.push([meta, performance.timeOrigin + performance.now()])
      last = meta
    }]
    check[0]!()
    new MutationObserver(check[0]!).observe(document.body, { subtree: true, childList: true, characterData: true })
  }, `${SAFE}/${watched}`)
  const answered: number[] = []
  for (let i = 0; i < CHANGES; i++) {
    const claim = i % 2 === 0
    const res = claim ? await colleague.api(sys, 'POST', base + '/claim') : await colleague.api(sys, 'POST', base + '/assign', { to: null, from: 'agent00' })
    if (res.status !== 200) throw new Error(`change ${i}: ${res.status} ${res.text}`)
    answered.push(clock())
    await sleep(GAP_MS)
  }
  // Each change flips the badge: the i-th flip the page noted is the i-th change.
  const flips = (await settled(notes, (n) => n.meta.length >= CHANGES, 'the changes')).meta
  const changeLatencies = answered.map((at, i) => {
    const expected = i % 2 === 0 ? 'agent00' : '未分配'
    if (flips[i]?.[0] !== expected) throw new Error(`change ${i}: the page showed ${flips[i]?.[0] ?? 'nothing'}, not ${expected}`)
    return Math.max(0, benchTime(flips[i]![1]) - at)
  })
  const changes = stats(changeLatencies)
  const delivered = (await readers.count()).events

  // 100 000 messages over 5 000 conversations, written straight into the tables ingest fills.
  await sys.prisma.$executeRawUnsafe(`
    INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, msg_info, msg_id, payload, format, wechat_create_time)
    SELECT $1, 'm:' || (900000000000 + g), 'oSeed' || lpad((g % 5000)::text, 23, '0'), 'gh_seed', 'oSeed' || lpad((g % 5000)::text, 23, '0'),
      'text', '{"text":"seeded message ' || g || '"}', (900000000000 + g)::text, '{}', 'json', 1700000000 + g
    FROM generate_series(1, $2::int) AS g`, SAFE, MESSAGES)
  await sys.prisma.$executeRawUnsafe(`
    INSERT INTO conversation (app_id, openid, last_message_id, last_message_at, last_inbound_at, unread_count)
    SELECT app_id, openid, max(id), to_timestamp(max(wechat_create_time)), to_timestamp(max(wechat_create_time)), count(*)
    FROM customer_message WHERE from_username LIKE 'oSeed%' GROUP BY app_id, openid
    ON CONFLICT DO NOTHING`)
  await sys.prisma.$executeRawUnsafe('ANALYZE')
  const total = await sys.prisma.customerMessage.count()

  const cookies = await page.context().cookies(sys.console.url)
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  const host = new URL(sys.console.url).host
  const listTimes: number[] = []
  for (let i = 0; i < 60; i++) {
    const started = performance.now()
    const res = await fetch(sys.console.internalUrl + '/api/conversations?limit=30', { headers: { host, cookie } })
    const body = await res.json() as { conversations: unknown[] }
    if (res.status !== 200 || body.conversations.length !== 30) throw new Error(`list: ${res.status}`)
    if (i >= 10) listTimes.push(performance.now() - started)
  }
  const list = stats(listTimes)

  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${process.env.DATABASE_URL !== undefined ? 'PostgreSQL' : 'embedded PostgreSQL'}, ${process.env.REDIS_URL !== undefined ? 'Redis pub/sub' : 'in-process bus'}`)
  console.log(`team: ${AGENTS} more agents online with a live stream each on ${instances.length} console instance${instances.length > 1 ? 's' : ''} (${delivered} events delivered to them), ${OPEN} open conversations, round robin capped at 20`)
  console.log(`floor of the measurement (the bench's clock against the page's): ±${uncertainty.toFixed(2)} ms; pushes and changes ${GAP_MS} ms apart`)
  console.log(`push acknowledged → visible in the console (Chromium), ${PUSHES} pushes: median ${live.median.toFixed(1)} ms, p99 ${live.p99.toFixed(1)} ms, max ${live.max.toFixed(1)} ms (goal p99 ≤ ${GOAL_MS} ms) ${live.p99 <= GOAL_MS ? 'MET' : 'NOT MET'}`)
  console.log(`  of which until the event reached the page (the servers' part): median ${serverPart.median.toFixed(1)} ms, p99 ${serverPart.p99.toFixed(1)} ms (${serverParts.length} events)`)
  console.log(`  CPU of this process (ingest, ${instances.length} console${instances.length > 1 ? 's' : ''}) per event delivered while pushing: ${((cpu.user + cpu.system) / Math.max(1, pushEvents)).toFixed(1)} µs (${pushEvents} events, ${Math.round((readAfter.bytes - readBefore.bytes) / Math.max(1, pushEvents))} B each); the readers' process: ${((readAfter.cpuUs - readBefore.cpuUs) / Math.max(1, pushEvents)).toFixed(1)} µs`)
  console.log(`colleague's claim/release answered → visible in the console (Chromium), ${CHANGES} changes: median ${changes.median.toFixed(1)} ms, p99 ${changes.p99.toFixed(1)} ms, max ${changes.max.toFixed(1)} ms (goal p99 ≤ ${GOAL_MS} ms) ${changes.p99 <= GOAL_MS ? 'MET' : 'NOT MET'}`)
  console.log(`conversation list, first page of 30, ${total} messages in the database: median ${list.median.toFixed(1)} ms, p99 ${list.p99.toFixed(1)} ms over 50 requests (goal ≤ 50 ms) ${list.p99 <= 50 ? 'MET' : 'NOT MET'}`)
  // For `pnpm bench:runs console 5` (scripts/bench-runs.mjs): this run's figures, one JSON line.
  if (process.env.BENCH_RESULTS !== undefined) {
    appendFileSync(process.env.BENCH_RESULTS, JSON.stringify({
      [`push → visible p99, ${AGENTS} agents (ms)`]: live.p99,
      [`push → visible median, ${AGENTS} agents (ms)`]: live.median,
      'of which the servers\' part, p99 (ms)': serverPart.p99,
      [`claim / release → visible p99, ${AGENTS} agents (ms)`]: changes.p99,
      'floor of the measurement, clock agreement (± ms)': uncertainty,
      'CPU per delivered event (µs)': (cpu.user + cpu.system) / Math.max(1, pushEvents),
      'conversation list, first page, median (ms)': list.median
    }) + '\n')
  }
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
