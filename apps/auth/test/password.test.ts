// Password hashing: format, constant-time verification, and the same work for unknown users.
import t from 'tap'
import crypto from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword, type ScryptParams } from '../src/lib/password.js'
import { Browser, addAccount, build, fileDatabase } from './helper.js'

t.test('the stored format is scrypt$N$r$p$salt$hash with OWASP-minimum defaults and a fresh salt', async (t) => {
  const hash = await hashPassword('correct horse battery')
  t.match(hash, /^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
  t.not(await hashPassword('correct horse battery'), hash, 'salted')
  t.equal(await verifyPassword(hash, 'correct horse battery'), true)
  t.equal(await verifyPassword(hash, 'correct horse batterY'), false)
  t.same(DEFAULT_SCRYPT, { N: 32768, r: 8, p: 3 })
})

t.test('verification uses the stored parameters; other parameters ask for a rehash', async (t) => {
  const cheap = await hashPassword('pässwörd', { N: 1024, r: 8, p: 1 })
  t.equal(await verifyPassword(cheap, 'pässwörd'), true)
  t.equal(await verifyPassword(cheap, 'pa\u0308sswo\u0308rd'), true, 'Unicode is normalised (NFC) before hashing')
  t.equal(needsRehash(cheap), true)
  t.equal(needsRehash(cheap, { N: 1024, r: 8, p: 1 }), false)
})

t.test('malformed stored hashes and over-long passwords never verify', async (t) => {
  for (const bad of ['', 'plain', 'scrypt$1024$8$1$abc', 'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43), 'bcrypt$2b$10$x', 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA']) {
    t.equal(await verifyPassword(bad, 'anything', { N: 1024, r: 8, p: 1 }), false, JSON.stringify(bad))
  }
  const hash = await hashPassword('x'.repeat(1024), { N: 1024, r: 8, p: 1 })
  t.equal(await verifyPassword(hash, 'x'.repeat(1024)), true)
  t.equal(await verifyPassword(hash, 'x'.repeat(1025)), false)
})

t.test('an unknown username costs the same scrypt work as a wrong password (no enumeration by timing)', async (t) => {
  // Counted, not timed: every login runs exactly one scrypt, and for an unknown username it runs against a dummy hash
  // with the same parameters as a real account's. Equal work by construction, checked without a stopwatch.
  const db = await fileDatabase(t, 'auth_password')
  const params = { N: 4096, r: 8, p: 2 }
  const { app } = await build(t, db, { scrypt: params })
  await app.prisma.account.create({ data: { username: 'frank', passwordHash: await hashPassword('frank-password', params) } })
  const runs: string[] = []
  const original = crypto.scrypt
  crypto.scrypt = function countingScrypt (this: unknown, ...args: unknown[]) {
    const options = args[3] as { N: number, r: number, p: number }
    runs.push(`${options.N}/${options.r}/${options.p}`)
    return (original as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof crypto.scrypt
  syncBuiltinESMExports() // the password module imports { scrypt }: its binding follows
  t.teardown(() => {
    crypto.scrypt = original
    syncBuiltinESMExports()
  })
  const b = new Browser(app)
  const perLogin: string[][] = []
  for (const username of ['frank', 'nobody', 'frank', 'nobody-else']) {
    runs.length = 0
    t.equal((await b.login(username, 'not-the-password')).statusCode, 401)
    perLogin.push([...runs])
  }
  t.same(perLogin, [['4096/8/2'], ['4096/8/2'], ['4096/8/2'], ['4096/8/2']], 'one scrypt of the same cost per login, known user or not')
})

t.test('a login with an outdated hash rehashes it with the current parameters', async (t) => {
  const db = await fileDatabase(t, 'auth_rehash')
  const { app } = await build(t, db)
  await app.prisma.account.create({ data: { username: 'gina', passwordHash: await hashPassword('gina-password', { N: 2048, r: 8, p: 1 }) } })
  t.equal((await new Browser(app).login('gina', 'gina-password')).statusCode, 200)
  const { passwordHash } = await app.prisma.account.findUniqueOrThrow({ where: { username: 'gina' } })
  t.match(passwordHash, /^scrypt\$1024\$8\$1\$/)
  t.equal((await new Browser(app).login('gina', 'gina-password')).statusCode, 200, 'the new hash verifies')
  await addAccount(app, 'gina', 'another-password')
  t.equal((await new Browser(app).login('gina', 'gina-password')).statusCode, 401, 'upsert resets the password')
})
