// The user:add command, run as a person runs it: the built script in its own process.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPrismaClient } from '@kefu/db'
import { verifyPassword } from '../src/lib/password.js'
import { fileDatabase } from './helper.js'

const script = fileURLToPath(new URL('../dist/cli/user-add.js', import.meta.url))
const db = await fileDatabase(t, 'auth_user_add')

function run (args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number | null, out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    child.on('error', reject)
    child.on('close', (code) => { resolve({ code, out }) })
    child.stdin.end(stdin ?? '')
  })
}

t.test('creates an account, then resets its password', async (t) => {
  const created = await run(['henry', 'henry-password-1'], { DATABASE_URL: db.url })
  t.equal(created.code, 0, created.out)
  t.equal(created.out.trim(), 'created account henry')
  const reset = await run(['henry', 'henry-password-2'], { DATABASE_URL: db.url })
  t.equal(reset.code, 0)
  t.match(reset.out.trim(), /^set a new password for henry; its earlier sign-ins end within seconds/)
  const prisma = createPrismaClient({ url: db.url, poolMax: 1 })
  t.teardown(() => prisma.$disconnect())
  const account = await prisma.account.findUniqueOrThrow({ where: { username: 'henry' } })
  t.match(account.passwordHash, /^scrypt\$32768\$8\$3\$/)
  t.equal(await verifyPassword(account.passwordHash, 'henry-password-2'), true)
  t.equal(await verifyPassword(account.passwordHash, 'henry-password-1'), false)
  t.equal(await prisma.account.count({ where: { username: 'henry' } }), 1)
  t.ok(account.sessionsValidFrom !== null && Date.now() - account.sessionsValidFrom.getTime() < 60_000, 'the reset ends the sign-ins that began before it (password-reset.test.ts)')
})

t.test('reads the password from standard input with "-" (keeps it out of shell history)', async (t) => {
  const res = await run(['irene', '-'], { DATABASE_URL: db.url }, 'irene-password\n')
  t.equal(res.code, 0, res.out)
  const prisma = createPrismaClient({ url: db.url, poolMax: 1 })
  t.teardown(() => prisma.$disconnect())
  const account = await prisma.account.findUniqueOrThrow({ where: { username: 'irene' } })
  t.equal(await verifyPassword(account.passwordHash, 'irene-password'), true)
})

t.test('refuses bad input with one line and a non-zero exit', async (t) => {
  t.match(await run([], { DATABASE_URL: db.url }), { code: 2, out: /^usage: pnpm --filter @kefu\/auth user:add <username>/ })
  t.match(await run(['bad name', 'password123'], { DATABASE_URL: db.url }), { code: 1, out: /username must be 1 to 64/ })
  t.match(await run(['jack', 'short'], { DATABASE_URL: db.url }), { code: 1, out: /password must be at least 8 characters/ })
  t.match(await run(['jack', 'password123'], { DATABASE_URL: 'mysql://x' }), { code: 1, out: /DATABASE_URL must be a postgresql/ })
})

t.test('on the embedded database: refuses while kefu holds it, works when it is free', async (t) => {
  const dir = t.testdir({})
  const pg = path.join(dir, 'pg')
  mkdirSync(pg, { recursive: true })
  writeFileSync(path.join(pg, 'kefu.lock'), String(process.ppid)) // held by a live process
  const busy = await run(['kate', 'kate-password'], { DATA_DIR: dir })
  t.equal(busy.code, 1)
  t.match(busy.out, /the embedded database in .* is in use by process \d+/)
  const free = path.join(dir, 'free')
  const ok = await run(['kate', 'kate-password'], { DATA_DIR: free })
  t.equal(ok.code, 0, ok.out)
  t.equal(ok.out.trim(), 'created account kate')
  const again = await run(['kate', 'kate-password-2'], { DATA_DIR: free })
  t.match(again.out.trim(), /^set a new password for kate;/, 'the files persisted between runs')
})
