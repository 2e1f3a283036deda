// `pnpm wechat:push` as people type it beside `pnpm start`: it posts to the ingest of that start, on BASE_PORT.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import { launch, ROOT, type Launched } from './helper.js'

/** Resolves once the launched kefu has printed what `done` looks for. */
async function until (kefu: Launched, done: () => boolean): Promise<void> {
  await new Promise<void>((resolve) => {
    const check = (): void => { if (done()) { kefu.child.stdout!.off('data', check); resolve() } }
    kefu.child.stdout!.on('data', check)
    check()
  })
}

function push (env: Record<string, string>, args: string[] = []): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync('pnpm', ['--silent', 'wechat:push', ...args], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.test('pnpm wechat:push reaches the pnpm start that runs on BASE_PORT', { timeout: 120_000 }, async (t) => {
  const kefu = await launch(t, { DATA_DIR: t.testdir({}) })
  const content = 'hello ' + crypto.randomBytes(4).toString('hex')
  const sent = push({ BASE_PORT: String(kefu.base) }, ['--content', content])
  t.equal(sent.status, 0, sent.stderr)
  t.match(sent.stdout, `POST http://127.0.0.1:${kefu.base}/wechat/wxkefudemo00000001?`, 'to the ingest on BASE_PORT')
  t.match(sent.stdout, /→ 200 success/)
  if (sent.status !== 0) return
  await until(kefu, () => kefu.logs().some((l) => l.svc === 'ingest' && l.msg === 'push' && l.appid === 'wxkefudemo00000001' && l.outcome === 'stored'))
  t.pass('that ingest stored it')
})

t.test('a bad BASE_PORT stops wechat:push with one line naming it', async (t) => {
  const r = push({ BASE_PORT: '70000' }, ['--content', 'x'])
  t.equal(r.status, 2)
  // (pnpm adds a line of its own about the exit code.)
  t.equal(r.stderr.split('\n')[0], 'wechat:push: BASE_PORT must be between 1 and 65525, got 70000')
})
