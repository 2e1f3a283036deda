// Password hashing: format, constant-time verification, and the same work for unknown users.
import t from 'tap'
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword } from '../src/lib/password.js'
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
  const db = await fileDatabase(t, 'auth_password')
  // An expensive cost makes the difference between "hashed" and "not hashed" tens of milliseconds wide.
  const slow = { N: 2 ** 15, r: 8, p: 1 }
  const { app } = await build(t, db, { scrypt: slow, loginLimits: { account: { max: 100, windowS: 60 }, ip: { max: 100, windowS: 60 } } })
  await app.prisma.account.create({ data: { username: 'frank', passwordHash: await hashPassword('frank-password', slow) } })
  const b = new Browser(app)
  async function timed (username: string): Promise<number> {
    const started = process.hrtime.bigint()
    const res = await b.login(username, 'not-the-password')
    t.equal(res.statusCode, 401)
    return Number(process.hrtime.bigint() - started) / 1e6
  }
  await timed('frank')
  // Interleaved, best of three each: load on the machine hits both sides alike.
  const known: number[] = []
  const unknownRuns: number[] = []
  for (let i = 0; i < 3; i++) {
    known.push(await timed('frank'))
    unknownRuns.push(await timed(`nobody-${i}`))
  }
  const knownMs = Math.min(...known)
  const unknown = Math.min(...unknownRuns)
  const slowHash = await hashPassword('something', slow)
  const costs: number[] = []
  for (let i = 0; i < 2; i++) {
    const s = process.hrtime.bigint()
    await verifyPassword(slowHash, 'other')
    costs.push(Number(process.hrtime.bigint() - s) / 1e6)
  }
  const cost = Math.min(...costs)
  t.ok(unknown > cost * 0.5, `unknown user ${unknown.toFixed(1)} ms vs one hash ${cost.toFixed(1)} ms`)
  t.ok(unknown > knownMs * 0.5 && unknown < knownMs * 2, `unknown ${unknown.toFixed(1)} ms vs known ${knownMs.toFixed(1)} ms`)
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
