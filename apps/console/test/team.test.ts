import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { APPS, Agent, addAgent, openStream, startConsoleSystem } from './helper.js'

const sys = await startConsoleSystem(t, { label: 'console_team', console: { teamwork: { autoAssignSweepMs: 0 } } })
const [SAFE, PLAIN, NO_SECRET] = APPS.map((a) => a.appid) as [string, string, string]
await addAgent(sys, 'bob', [SAFE])
await addAgent(sys, 'carol', [PLAIN])
await addAgent(sys, 'ada', [SAFE, PLAIN], { role: 'admin' })
await addAgent(sys, 'newbie', [])
const signedIn = async (name: string): Promise<Agent> => { const a = new Agent(); await a.signIn(sys, name); return a }
const [alice, bob, carol, ada] = await Promise.all(['alice', 'bob', 'carol', 'ada'].map(signedIn)) as [Agent, Agent, Agent, Agent]
const colleague = async (viewer: Agent, name: string) => (await viewer.api(sys, 'GET', '/api/agents')).json().agents.find((a: { username: string }) => a.username === name)

t.test('availability: set by the agent, shown to colleagues of their mini programs, live', async (t) => {
  t.equal((await bob.api(sys, 'GET', '/api/me')).json().availability, 'offline', 'offline until they say otherwise')
  const watcher = await openStream(sys, alice)
  t.teardown(watcher.close)
  const outsider = await openStream(sys, carol)
  t.teardown(outsider.close)
  await watcher.nextOf('hello')
  await outsider.nextOf('hello')
  const res = await bob.api(sys, 'PUT', '/api/me/availability', { availability: 'online' })
  t.equal(res.status, 200)
  t.match(res.json().me, { username: 'bob', availability: 'online', role: 'agent' })
  t.match((await watcher.nextOf('agent')).data, { username: 'bob', availability: 'online', apps: [SAFE] })
  await t.rejects(outsider.nextOf('agent', 300), /no event in time/, 'carol shares no mini program with bob')
  t.match(await colleague(alice, 'bob'), { availability: 'online', apps: [SAFE] })
  t.equal(await colleague(carol, 'bob'), undefined, 'not among carol’s colleagues')
  await bob.api(sys, 'PUT', '/api/me/availability', { availability: 'away' })
  t.match((await watcher.nextOf('agent')).data, { username: 'bob', availability: 'away' })
  for (const body of [{}, { availability: 'busy' }, { availability: null }]) t.equal((await bob.api(sys, 'PUT', '/api/me/availability', body)).status, 400, JSON.stringify(body))
  t.equal((await bob.api(sys, 'GET', '/api/me')).json().availability, 'away')
})

t.test('notifications: each agent turns the browser notification and the sound on or off', async (t) => {
  t.same((await bob.api(sys, 'GET', '/api/me')).json().notifications, { desktop: true, sound: false }, 'defaults')
  t.equal((await bob.api(sys, 'PUT', '/api/me/notifications', { desktop: false, sound: true })).status, 200)
  t.same((await bob.api(sys, 'GET', '/api/me')).json().notifications, { desktop: false, sound: true })
  t.same((await alice.api(sys, 'GET', '/api/me')).json().notifications, { desktop: true, sound: false }, 'another agent’s are their own')
  t.equal((await bob.api(sys, 'PUT', '/api/me/notifications', { desktop: 'yes' })).status, 400)
  for (const body of [{ desktop: 'true', sound: false }, { desktop: true, sound: 'false' }, { desktop: 1, sound: 0 }]) {
    t.equal((await bob.api(sys, 'PUT', '/api/me/notifications', body)).status, 400, `${JSON.stringify(body)}: not coerced`)
  }
  t.same((await bob.api(sys, 'GET', '/api/me')).json().notifications, { desktop: false, sound: true }, 'unchanged by the refused ones')
})

t.test('administrators assign agents to their own mini programs; agents cannot', async (t) => {
  const byAgent = await bob.api(sys, 'PUT', '/api/agents/newbie', { apps: [SAFE] })
  t.equal(byAgent.status, 403)
  t.match(byAgent.json(), { code: 'KEFU_CONSOLE_ADMIN_ONLY', message: 'only an administrator may manage agents' })
  const granted = await ada.api(sys, 'PUT', '/api/agents/newbie', { apps: [SAFE, PLAIN] })
  t.equal(granted.status, 200)
  t.same(granted.json().agent, { username: 'newbie', role: 'agent', availability: 'offline', apps: [SAFE, PLAIN] })
  t.same((await sys.prisma.agentApp.findMany({ where: { username: 'newbie' }, orderBy: { appId: 'asc' } })).map((r) => r.appId), [SAFE, PLAIN])
  const foreign = await ada.api(sys, 'PUT', '/api/agents/newbie', { apps: [NO_SECRET] })
  t.equal(foreign.status, 404, 'ada does not administer NO_SECRET')
  await sys.prisma.agentApp.create({ data: { username: 'newbie', appId: NO_SECRET } })
  t.equal((await ada.api(sys, 'PUT', '/api/agents/newbie', { apps: [PLAIN] })).status, 200)
  t.same((await sys.prisma.agentApp.findMany({ where: { username: 'newbie' }, orderBy: { appId: 'asc' } })).map((r) => r.appId), [PLAIN, NO_SECRET].sort(),
    'SAFE taken away; NO_SECRET, outside ada’s mini programs, untouched')
  const ghost = await ada.api(sys, 'PUT', '/api/agents/ghost', { apps: [SAFE] })
  t.equal(ghost.status, 404)
  t.match(ghost.json().message, /no account named ghost/)
  t.equal(await sys.prisma.agentApp.count({ where: { username: 'ghost' } }), 0)
  for (const body of [{}, { apps: ['not-an-appid'] }, { apps: [SAFE, SAFE] }, { role: 'owner' }]) {
    t.equal((await ada.api(sys, 'PUT', '/api/agents/newbie', body)).status, 400, JSON.stringify(body))
  }
  t.equal((await ada.api(sys, 'PUT', '/api/agents/bad%20name', { apps: [] })).status, 400)
  t.ok((await ada.api(sys, 'GET', '/api/agents')).json().agents.some((a: { username: string }) => a.username === 'newbie'), 'administrators see every agent')
})

t.test('roles: administrators make administrators; the last one cannot step down', async (t) => {
  t.equal((await ada.api(sys, 'PUT', '/api/agents/ada', { role: 'agent' })).status, 409, 'ada is the only administrator')
  t.equal((await ada.api(sys, 'PUT', '/api/agents/bob', { role: 'admin' })).json().agent.role, 'admin')
  t.equal((await bob.api(sys, 'GET', '/api/me')).json().role, 'admin')
  t.equal((await ada.api(sys, 'PUT', '/api/agents/ada', { role: 'agent' })).status, 200, 'now she may')
  t.equal((await ada.api(sys, 'PUT', '/api/agents/bob', { role: 'agent' })).status, 403, 'and is no administrator any more')
  await sys.prisma.agent.update({ where: { username: 'ada' }, data: { role: 'admin' } })
})

t.test('automatic assignment settings: read by the mini program’s agents, changed by its administrators', async (t) => {
  t.same((await carol.api(sys, 'GET', `/api/apps/${PLAIN}/settings`)).json().settings, { appId: PLAIN, autoAssign: 'off', maxOpenPerAgent: 10 })
  t.equal((await carol.api(sys, 'PUT', `/api/apps/${PLAIN}/settings`, { autoAssign: 'round_robin', maxOpenPerAgent: 3 })).status, 403)
  t.equal((await carol.api(sys, 'GET', `/api/apps/${SAFE}/settings`)).status, 404, 'not her mini program')
  const set = await ada.api(sys, 'PUT', `/api/apps/${PLAIN}/settings`, { autoAssign: 'round_robin', maxOpenPerAgent: 3 })
  t.equal(set.status, 200)
  t.same((await carol.api(sys, 'GET', `/api/apps/${PLAIN}/settings`)).json().settings, { appId: PLAIN, autoAssign: 'round_robin', maxOpenPerAgent: 3 })
  t.match((await carol.api(sys, 'GET', '/api/me')).json().apps, [{ appId: PLAIN, autoAssign: 'round_robin', maxOpenPerAgent: 3 }])
  for (const body of [{}, { autoAssign: 'random', maxOpenPerAgent: 3 }, { autoAssign: 'off', maxOpenPerAgent: 0 }, { autoAssign: 'off', maxOpenPerAgent: 1001 }, { autoAssign: 'off' }, { autoAssign: 'off', maxOpenPerAgent: '5' }, { autoAssign: 'off', maxOpenPerAgent: 2.5 }]) {
    const res = await ada.api(sys, 'PUT', `/api/apps/${PLAIN}/settings`, body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.notMatch(res.json().message, /\n/)
  }
  t.equal((await ada.api(sys, 'PUT', `/api/apps/${NO_SECRET}/settings`, { autoAssign: 'off', maxOpenPerAgent: 3 })).status, 404, 'not her mini program')
  t.equal(await sys.prisma.appSetting.count({ where: { appId: NO_SECRET } }), 0)
})

t.test('agent:add keeps working and makes the first administrator with --admin', async (t) => {
  const script = fileURLToPath(new URL('../dist/cli/agent-add.js', import.meta.url))
  const db = await createTestDatabase('console_agent_add')
  t.teardown(db.drop)
  const run = (args: string[]): Promise<{ code: number | null, out: string }> => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH, DATABASE_URL: db.url, WECHAT_APPS: JSON.stringify(APPS) }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    child.on('error', reject)
    child.on('close', (code) => { resolve({ code, out }) })
  })
  const plain = await run(['henry', SAFE])
  t.equal(plain.code, 0, plain.out)
  t.equal(plain.out.trim(), `henry now answers ${SAFE}`)
  const first = await run(['root', '--all', '--admin'])
  t.equal(first.code, 0, first.out)
  t.equal(first.out.trim(), `root now answers ${APPS.map((a) => a.appid).sort().join(', ')} (administrator)`)
  const bad = await run(['x', 'not-an-appid'])
  t.equal(bad.code, 1)
  t.match(bad.out, /not-an-appid is not an appid/)
  const prisma = createPrismaClient({ url: db.url, poolMax: 1 })
  t.teardown(() => prisma.$disconnect())
  t.same(await prisma.agent.findMany({ select: { username: true, role: true }, orderBy: { username: 'asc' } }), [{ username: 'root', role: 'admin' }])
})
