import t from 'tap'
import { Agent, addAgent, startConsoleSystem } from '../../test/helper.js'

// Two console processes behind one URL (sessions through Redis, a bus each) and ingest: what an owner does on one is
// in effect on the other and on ingest within 2 s, with no restart. The registry's full reload is left at 30 s, so
// only the bus can make it in time.
const real = process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' ? 'REDIS_URL is not set (embedded run)' : false

const NEW = { appid: 'wx00112233445566ff', token: 'TwoConsolesToken42', encodingAESKey: 'M1n2B3v4C5x6Z7l8K9j0H1g2F3d4S5a6P7o8I9u0Y1t', secret: '00112233445566778899aabbccddeeff' }

t.test('added on console A, a push for it is stored and shown on console B; disabled, it stops everywhere within 2 s', { skip: real }, async (t) => {
  const sys = await startConsoleSystem(t, { label: 'console_two_consoles_mp' })
  const b = await sys.startConsole()
  await addAgent(sys, 'olivia', [], { role: 'admin', owner: true })
  const olivia = new Agent()
  await olivia.signIn(sys, 'olivia')
  const onB = (method: string, path: string, json?: unknown): ReturnType<Agent['request']> =>
    olivia.request(b, method, path, json === undefined ? { headers: { origin: b.url } } : { headers: { origin: b.url, 'content-type': 'application/json' }, body: JSON.stringify(json) })

  t.equal((await olivia.api(sys, 'POST', '/api/mini-programs', NEW)).status, 201, 'added on A')
  const started = Date.now()
  await waitFor(async () => (await onB('GET', '/api/me')).json().apps.some((a: { appId: string, canReply: boolean }) => a.appId === NEW.appid && a.canReply))
  t.ok(Date.now() - started < 2000, `known on B, with its AppSecret, after ${Date.now() - started} ms`)

  await waitFor(async () => sys.ingest.app.miniPrograms.get(NEW.appid) !== undefined)
  await sys.push(NEW.appid, 'text', { from: 'o_two', content: '两台控制台', app: NEW })
  const list = (await onB('GET', `/api/conversations?appid=${NEW.appid}`)).json()
  t.equal(list.conversations.length, 1, 'the push shows on B')

  t.equal((await olivia.api(sys, 'PUT', `/api/mini-programs/${NEW.appid}/enabled`, { enabled: false })).status, 200, 'disabled on A')
  const disabledAt = Date.now()
  await waitFor(async () => {
    const me = (await onB('GET', '/api/me')).json()
    return me.apps.some((a: { appId: string, canReply: boolean }) => a.appId === NEW.appid && !a.canReply)
  })
  await waitFor(async () => sys.ingest.app.miniPrograms.get(NEW.appid) === undefined)
  t.ok(Date.now() - disabledAt < 2000, `disabled on B and on ingest after ${Date.now() - disabledAt} ms`)
  t.equal((await onB('GET', `/api/mini-programs?q=${NEW.appid}`)).json().items[0].enabled, false, 'B\'s page says so')
  await t.rejects(sys.push(NEW.appid, 'text', { from: 'o_two', content: 'no', app: NEW }), /404/)
  t.equal(await sys.prisma.customerMessage.count({ where: { appId: NEW.appid } }), 1, 'nothing stored once disabled')
})

async function waitFor (ok: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!await ok()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
