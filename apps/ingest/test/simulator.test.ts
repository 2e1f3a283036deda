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
