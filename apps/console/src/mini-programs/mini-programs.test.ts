import t from 'tap'
import { APPS, Agent, addAgent, startConsoleSystem, signedIn } from '../../test/helper.js'

// A mini program as an owner enters it: every value as WeChat defines it.
const NEW = {
  appid: 'wx0123456789abcdef',
  name: '测试商城',
  originalId: 'gh_0123456789ab',
  token: 'PlainTokenValue7391',
  encodingAESKey: 'Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9z0X1c',
  secret: '5f0c1e2d3b4a59687766554433221100',
  messageFormat: 'json'
}
const NEXT_KEY = 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2H1g0F9e'
const PLAINS = [NEW.token, NEW.encodingAESKey, NEW.secret, NEXT_KEY, ...APPS.flatMap((a) => [a.secret, a.encodingAESKey].filter((v): v is string => v !== undefined))]

const sys = await startConsoleSystem(t, { label: 'console_mini_programs', captureLogs: true })
await addAgent(sys, 'olivia', [], { role: 'admin', owner: true })
await addAgent(sys, 'bob', [APPS[0]!.appid], { role: 'admin' })
const olivia = await signedIn(sys, 'olivia')
const bob = await signedIn(sys, 'bob')
const alice = await signedIn(sys)
const answers: string[] = []
async function call (who: Agent, method: string, path: string, json?: unknown): Promise<{ status: number, text: string, json: () => any }> {
  const res = await who.api(sys, method, path, json)
  answers.push(res.text)
  return res
}

t.test('owners only: an administrator or an agent gets 403 from every route and the page, and changes nothing', async (t) => {
  for (const who of [bob, alice]) {
    t.equal((await call(who, 'GET', '/api/mini-programs')).status, 403)
    const add = await call(who, 'POST', '/api/mini-programs', NEW)
    t.equal(add.status, 403)
    t.equal(add.json().code, 'KEFU_CONSOLE_OWNER_ONLY')
    t.equal((await call(who, 'PUT', `/api/mini-programs/${APPS[0]!.appid}/enabled`, { enabled: false })).status, 403)
    t.equal((await call(who, 'POST', `/api/mini-programs/${APPS[0]!.appid}/test`)).status, 403)
    t.equal((await who.request(sys.console, 'GET', '/mini-programs')).status, 403)
  }
  t.equal(await sys.prisma.miniProgram.count({ where: { appId: NEW.appid } }), 0)
  t.equal(sys.console.app.miniPrograms.find(APPS[0]!.appid)?.enabled, true)
  t.equal((await olivia.api(sys, 'GET', '/api/me')).json().owner, true)
  t.equal((await bob.api(sys, 'GET', '/api/me')).json().owner, false, 'an administrator is not an owner')
})

t.test('a form with mistakes: 400, one line per mistake in the reader\'s language, nothing stored', async (t) => {
  const bad = { appid: 'wx0123456789ABCDEG', token: 'ab', encodingAESKey: 'x'.repeat(42), secret: 'not-hex', messageFormat: 'yaml', originalId: 'gh_x' }
  const res = await call(olivia, 'POST', '/api/mini-programs', bad)
  t.equal(res.status, 400)
  const body = res.json()
  t.equal(body.code, 'KEFU_CONSOLE_BAD_MINI_PROGRAM')
  t.equal(body.problems.length, 6, 'appid, token, key, secret, format, original id')
  for (const line of body.problems) t.notMatch(line, /\n/)
  t.match(body.problems.join('\n'), /AppID 应为 wx 加 16 位十六进制/)
  const en = await olivia.request(sys.console, 'POST', '/api/mini-programs', { headers: { 'content-type': 'application/json', origin: sys.console.url, 'accept-language': 'en' }, body: JSON.stringify({ appid: NEW.appid }) })
  t.same(en.json().problems, ['Token must be 3 to 32 letters or digits'], 'a missing token, in English')
  t.equal(await sys.prisma.miniProgram.count({ where: { appId: { in: [NEW.appid, bad.appid] } } }), 0, 'nothing stored')
})

t.test('add, see the values to paste, push through ingest, figures, edit, rotate, disable and enable', async (t) => {
  const added = await call(olivia, 'POST', '/api/mini-programs', NEW)
  t.equal(added.status, 201)
  const mp = added.json().miniProgram
  t.match(mp, { appid: NEW.appid, name: NEW.name, managedBy: 'console', enabled: true, token: '…7391', encodingAESKey: '…X1c'.replace('…X1c', '…' + NEW.encodingAESKey.slice(-4)), secret: '…1100' })
  t.same(mp.push, { url: `http://127.0.0.1:3000/wechat/${NEW.appid}`, format: 'JSON', mode: 'safe' })
  t.equal((await call(olivia, 'POST', '/api/mini-programs', NEW)).status, 409, 'twice: refused')

  // At once in this instance's registry, so ingest (another registry, same table) takes its pushes within 2 s.
  const app = { appid: NEW.appid, token: NEW.token, encodingAESKey: NEW.encodingAESKey }
  await waitFor(() => sys.ingest.app.miniPrograms.get(NEW.appid) !== undefined)
  await sys.push(NEW.appid, 'text', { from: 'o_new', content: '你好', app })
  const stored = await sys.prisma.customerMessage.count({ where: { appId: NEW.appid } })
  t.equal(stored, 1, 'the push is stored')
  const listed = (await call(olivia, 'GET', `/api/mini-programs?q=${encodeURIComponent('测试')}`)).json()
  t.equal(listed.total, 1)
  t.equal(listed.items[0].stats.pushesToday, 1)
  t.not(listed.items[0].stats.lastPushAt, null)

  const edited = await call(olivia, 'PUT', `/api/mini-programs/${NEW.appid}`, { name: '新名字', messageFormat: 'xml' })
  t.equal(edited.status, 200)
  t.match(edited.json().miniProgram, { name: '新名字', messageFormat: 'xml', secret: '…1100', token: '…7391' }, 'secrets left out are kept')
  t.equal((await call(olivia, 'PUT', `/api/mini-programs/${NEW.appid}`, { token: 'a' })).status, 400)

  const rotated = await call(olivia, 'POST', `/api/mini-programs/${NEW.appid}/rotate-key`, { encodingAESKey: NEXT_KEY })
  t.equal(rotated.status, 200)
  t.equal(rotated.json().miniProgram.previousEncodingAESKey, '…' + NEW.encodingAESKey.slice(-4))
  await waitFor(() => sys.ingest.app.miniPrograms.get(NEW.appid)?.program.encodingAESKey === NEXT_KEY)
  await sys.push(NEW.appid, 'text', { from: 'o_new', content: 'old key', app }, )
  await sys.push(NEW.appid, 'text', { from: 'o_new', content: 'new key', app: { ...app, encodingAESKey: NEXT_KEY } })
  t.equal(await sys.prisma.customerMessage.count({ where: { appId: NEW.appid } }), 3, 'the previous key still opens pushes during the rotation')

  t.equal((await call(olivia, 'PUT', `/api/mini-programs/${NEW.appid}/enabled`, { enabled: false })).json().miniProgram.enabled, false)
  await waitFor(() => sys.ingest.app.miniPrograms.get(NEW.appid) === undefined)
  await t.rejects(sys.push(NEW.appid, 'text', { from: 'o_new', content: 'disabled', app }), /404/)
  t.equal(await sys.prisma.customerMessage.count({ where: { appId: NEW.appid } }), 3, 'a disabled mini program stores nothing')
  t.equal((await call(olivia, 'PUT', `/api/mini-programs/${NEW.appid}/enabled`, { enabled: true })).json().miniProgram.enabled, true)

  const configured = await call(olivia, 'PUT', `/api/mini-programs/${APPS[0]!.appid}`, { name: 'x' })
  t.equal(configured.status, 409, 'a row from WECHAT_APPS is read-only')
  t.equal((await call(olivia, 'PUT', `/api/mini-programs/${APPS[0]!.appid}/enabled`, { enabled: false })).status, 409)
})

t.test('search and pages: the server pages, 20 rows at most', async (t) => {
  for (let i = 0; i < 45; i++) {
    await sys.console.app.miniPrograms.save({ appid: `wx${(0xa000 + i).toString(16).padStart(16, '0')}`, token: `tok${i}abc`, name: `门店 ${i}` }, 'olivia')
  }
  const first = (await call(olivia, 'GET', '/api/mini-programs')).json()
  t.equal(first.items.length, 20)
  t.ok(first.total >= 49)
  const third = (await call(olivia, 'GET', '/api/mini-programs?page=3&q=%E9%97%A8%E5%BA%97')).json()
  t.equal(third.total, 45)
  t.equal(third.items.length, 5)
  t.equal((await call(olivia, 'GET', '/api/mini-programs?page=0')).status, 400)
})

t.test('Test: an access token from WeChat, or what failed in words', async (t) => {
  const ok = (await call(olivia, 'POST', `/api/mini-programs/${APPS[0]!.appid}/test`)).json()
  t.match(ok, { ok: true, errcode: 0 })
  sys.fake.failNext('stable_token', 40164)
  const ip = (await olivia.request(sys.console, 'POST', `/api/mini-programs/${APPS[0]!.appid}/test`, { headers: { origin: sys.console.url, 'accept-language': 'en' } })).json()
  t.match(ip, { ok: false, errcode: 40164, explanation: /whitelist|IP/i })
  sys.fake.addApp(NEW.appid, 'ffffffffffffffffffffffffffffffff')
  const wrong = (await call(olivia, 'POST', `/api/mini-programs/${NEW.appid}/test`)).json()
  t.match(wrong, { ok: false, errcode: 40125, explanation: /AppSecret/ })
  t.match((await call(olivia, 'POST', `/api/mini-programs/${APPS[2]!.appid}/test`)).json(), { ok: false, errcode: null })
})

t.test('the page: owners get it, with no secret in it', async (t) => {
  const page = await olivia.request(sys.console, 'GET', '/mini-programs')
  t.equal(page.status, 200)
  t.match(page.text, /\/assets\/mini-programs\/mini-programs\.js/)
  answers.push(page.text)
  t.equal((await olivia.request(sys.console, 'GET', '/assets/mini-programs/mini-programs.js')).status, 200)
})

t.test('no plain secret in any answer, any log line, or the table', async (t) => {
  const logs = JSON.stringify([...sys.logs.console, ...sys.logs.ingest])
  t.ok(sys.logs.console.length > 0, 'logs were captured')
  for (const plain of PLAINS) {
    for (const answer of answers) t.notOk(answer.includes(plain), 'an answer holds a secret')
    t.notOk(logs.includes(plain), 'a log line holds a secret')
  }
  const rows = await sys.prisma.$queryRaw<Array<Record<string, string | null>>>`SELECT token, encoding_aes_key, previous_encoding_aes_key, secret FROM mini_program`
  const stored = JSON.stringify(rows)
  for (const plain of PLAINS) t.notOk(stored.includes(plain), 'the table holds a plain secret')
  t.match(rows[0]!.token, /^v1:test:/, 'sealed under KEFU_SECRET_KEY')
})

async function waitFor (ok: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!ok()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
