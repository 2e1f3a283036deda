// `pnpm test --filter <package>` as people type it runs that workspace's tests alone, through scripts/test.mjs (its
// modes, its summary). Checked with --dry-run, which asks turbo what it would run and runs nothing: this test must not
// start the suite it is part of.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './helper.js'

/** Runs a command at the repository root as a person would: no test runner's, pnpm's or a database's variables. */
function run (command: string, args: string[]): { status: number | null, stdout: string, stderr: string } {
  const result = spawnSync(command, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8', timeout: 120_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** The workspaces each run announced, one line per run of scripts/test.mjs. */
function wouldRun (stdout: string): string[][] {
  return [...stdout.matchAll(/^pnpm test --dry-run: would run the tests of (.*)$/gm)].map((m) => m[1]!.split(' '))
}

const workspacesWithTests = ['apps', 'packages', 'tests'].flatMap((group) => readdirSync(path.join(ROOT, group)).map((name) => path.join(ROOT, group, name)))
  .map((dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string, scripts?: Record<string, string> })
  .filter((pkg) => pkg.scripts?.['test:tap'] !== undefined).map((pkg) => pkg.name).sort()

t.test('pnpm test --filter <package> runs that package\'s tests only', async (t) => {
  for (const args of [['--filter', '@kefu/sso-client'], ['--filter=@kefu/sso-client'], ['-F', '@kefu/sso-client']]) {
    const r = run('pnpm', ['test', ...args, '--dry-run'])
    t.equal(r.status, 0, `pnpm test ${args.join(' ')}: ${r.stderr}`)
    t.same(wouldRun(r.stdout), [['@kefu/sso-client']], `pnpm test ${args.join(' ')}`)
  }
  const two = run('pnpm', ['test', '--filter', '@kefu/sso-client', '--filter', '@kefu/wechat-crypto', '--dry-run'])
  t.equal(two.status, 0, two.stderr)
  t.same(wouldRun(two.stdout).sort(), [['@kefu/sso-client'], ['@kefu/wechat-crypto']], 'two filters: each package once')
})

t.test('scripts/test.mjs reads --filter and --filter= itself (pnpm run test and node alike)', async (t) => {
  const direct = run(process.execPath, ['scripts/test.mjs', '--filter', '@kefu/sso-client', '--filter=@kefu/wechat-crypto', '--dry-run'])
  t.equal(direct.status, 0, direct.stderr)
  t.same(wouldRun(direct.stdout), [['@kefu/sso-client', '@kefu/wechat-crypto']])
  const viaRun = run('pnpm', ['run', 'test', '--filter', '@kefu/wechat-crypto', '--dry-run'])
  t.same(wouldRun(viaRun.stdout), [['@kefu/wechat-crypto']], 'pnpm run test --filter …')
  const missing = run(process.execPath, ['scripts/test.mjs', '--filter'])
  t.equal(missing.status, 1)
  t.equal(missing.stderr, 'pnpm test: --filter needs a package, e.g. --filter @kefu/console\n')
})

t.test('pnpm test with no filter still runs every workspace\'s tests', async (t) => {
  t.ok(workspacesWithTests.length >= 12, workspacesWithTests.join(' '))
  const all = run('pnpm', ['test', '--dry-run'])
  t.equal(all.status, 0, all.stderr)
  t.same(wouldRun(all.stdout), [workspacesWithTests])
})
