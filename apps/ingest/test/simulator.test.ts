import t from 'tap'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { SAFE_APP, PLAIN_APP, build, fileDatabase } from './helper.js'

const run = promisify(execFile)
const db = await fileDatabase(t, 'ingest_simulator')
const cli = fileURLToPath(new URL('../src/cli/wechat-push.ts', import.meta.url))
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))

t.test('pnpm wechat:push lands a message in customer_message, in every mode', async (t) => {
  const app = await build(t, db)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const env = { ...process.env, WECHAT_APPS: JSON.stringify([SAFE_APP, PLAIN_APP]) }
  for (const [appid, mode, format] of [[SAFE_APP.appid, 'safe', 'json'], [SAFE_APP.appid, 'compat', 'xml'], [PLAIN_APP.appid, 'plain', 'xml']] as const) {
    const { stdout } = await run(tsx, [cli, '--appid', appid, '--mode', mode, '--format', format, '--content', `hello ${mode}`, '--from', 'o_simulated', '--url', url], { env })
    t.match(stdout, /→ 200 success/, `${mode} ${format}`)
    const row = await app.prisma.customerMessage.findFirst({ where: { appId: appid, openid: 'o_simulated', msgInfo: JSON.stringify({ text: `hello ${mode}` }) } })
    t.ok(row, `${mode}: the row is there`)
  }
  const refused = await run(tsx, [cli, '--appid', 'wx0000000000000fff', '--url', url], { env }).catch((err: { code: number, stderr: string }) => err)
  t.equal((refused as { code: number }).code, 2)
  t.match((refused as { stderr: string }).stderr, /no mini program wx0000000000000fff/)
})

t.test('pnpm wechat:push sends the three subscribe events, in both formats and both JSON list shapes', async (t) => {
  const app = await build(t, db)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const withTemplates = { ...SAFE_APP, subscribeTemplates: [{ templateId: 'tplOrderStatus0001', title: '订单状态提醒', fields: ['thing1'] }] }
  const env = { ...process.env, WECHAT_APPS: JSON.stringify([withTemplates, PLAIN_APP]) }
  const push = async (...args: string[]): Promise<string> => (await run(tsx, [cli, '--appid', SAFE_APP.appid, '--from', 'o_sim_subscribe', '--url', url, ...args], { env })).stdout
  t.match(await push('--type', 'popup'), /subscribe_msg_popup_event from o_sim_subscribe, tplOrderStatus0001\n→ 200 success/, "the app's first template by default")
  t.match(await push('--type', 'popup', '--list', 'array', '--template', 'tplOrderStatus0001', '--template', 'tplShipping0002:reject'), /→ 200 success/)
  t.match(await push('--type', 'popup', '--format', 'xml', '--template', 'tplShipping0002:accept'), /→ 200 success/)
  t.match(await push('--type', 'sent', '--format', 'xml', '--error-code', '20001', '--msg-id', '3248682510344192008'), /→ 200 success/)
  t.match(await push('--type', 'change', '--template', 'tplShipping0002'), /→ 200 success/)
  const typed = await app.prisma.subscribeEvent.findMany({ where: { openid: 'o_sim_subscribe' }, orderBy: [{ id: 'asc' }] })
  t.same(typed.map((e) => [e.kind, e.templateId, e.status ?? e.errorCode]), [
    ['popup', 'tplOrderStatus0001', 'accept'],
    ['popup', 'tplOrderStatus0001', 'accept'],
    ['popup', 'tplShipping0002', 'reject'],
    ['popup', 'tplShipping0002', 'accept'],
    ['sent', 'tplOrderStatus0001', 20001],
    ['change', 'tplShipping0002', 'reject']
  ])
  t.equal(typed[4]!.msgId, '3248682510344192008')
  const quota = await app.prisma.subscribeQuota.findMany({ where: { openid: 'o_sim_subscribe' }, orderBy: { templateId: 'asc' } })
  t.same(quota.map((q) => [q.templateId, q.remaining]), [['tplOrderStatus0001', 2], ['tplShipping0002', 0]])
  const bad = await run(tsx, [cli, '--appid', PLAIN_APP.appid, '--type', 'popup', '--url', url], { env }).catch((err: { code: number, stderr: string }) => err)
  t.match(bad, { code: 2, stderr: /--template is required: wx00000000000000a1 has no subscribeTemplates/ })
})
