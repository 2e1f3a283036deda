// A password reset (user:add on an existing account) ends every earlier sign-in: at A, and at every B site through
// the back channel — whichever process made the reset.
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { createPrismaClient } from '@kefu/db'
import { testKeyPrefix } from '@kefu/service/testing'
import { basicAuthorization, SIGNATURE_HEADER, verifyLogoutMessage, type LogoutMessage } from '@kefu/sso-client'
import { upsertAccount } from '../src/app.js'
import { B1, Browser, FAST_SCRYPT, ORIGIN, addAccount, build, fileDatabase, redisUrl } from './helper.js'

const received: Array<{ body: string, signature: string | undefined }> = []
const fakeB = Fastify()
fakeB.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
fakeB.post<{ Body: string }>('/sso/logout', async (request, reply) => {
  received.push({ body: request.body, signature: request.headers[SIGNATURE_HEADER] as string | undefined })
  return reply.code(204).send()
})
const fakeUrl = await fakeB.listen({ port: 0, host: '127.0.0.1' })
t.teardown(() => fakeB.close())

const db = await fileDatabase(t, 'auth_password_reset')
const client = { ...B1, logoutUri: `${fakeUrl}/sso/logout` }
const FROM_B1 = { origin: 'http://b1.kefu.test', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' }

async function until (what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function signIn (app: FastifyInstance, username: string, password: string): Promise<{ browser: Browser, sid: string }> {
  const browser = new Browser(app)
  if ((await browser.login(username, password)).statusCode !== 200) throw new Error('login failed')
  const ticket = (await browser.request('POST', '/sso/ticket?client_id=b1', { headers: FROM_B1 })).json().ticket
  const res = await app.inject({ method: 'POST', url: '/sso/redeem', headers: { authorization: basicAuthorization('b1', B1.clientSecret) }, payload: { ticket } })
  return { browser, sid: res.json().sid }
}

t.test('a reset ends every earlier sign-in of that account at A and tells B, and only those', async (t) => {
  const { app } = await build(t, db, { clients: [client], passwordResetPollMs: 50 })
  await addAccount(app, 'alice', 'alice-password')
  await addAccount(app, 'bob', 'bob-password')
  const laptop = await signIn(app, 'alice', 'alice-password')
  const phone = await signIn(app, 'alice', 'alice-password')
  const bob = await signIn(app, 'bob', 'bob-password')
  received.length = 0

  // What `pnpm --filter @kefu/auth user:add alice <new password>` does (its own test runs the command).
  t.equal(await upsertAccount(app.prisma, 'alice', 'alice-password-2', FAST_SCRYPT), 'reset')
  await until('the back channel told B', async () => received.length > 0)
  t.equal((await laptop.browser.get('/me')).statusCode, 401, 'the laptop is signed out at A')
  t.equal((await phone.browser.get('/me')).statusCode, 401, 'so is the phone')
  t.equal(received.length, 1, 'one call to B')
  const aliceId = (await app.prisma.account.findUniqueOrThrow({ where: { username: 'alice' } })).id.toString()
  const verdict = verifyLogoutMessage(received[0]!.body, received[0]!.signature, { secret: B1.clientSecret, issuer: ORIGIN, audience: 'b1', now: Date.now(), maxAgeMs: 30_000 })
  t.ok(verdict.ok, 'signed for B')
  t.same((JSON.parse(received[0]!.body) as LogoutMessage).sids.sort(), [laptop.sid, phone.sid].sort(), 'both logins end at B')
  t.equal((JSON.parse(received[0]!.body) as LogoutMessage).sub, aliceId)
  t.equal((await bob.browser.get('/me')).statusCode, 200, 'another account is untouched')

  const after = await signIn(app, 'alice', 'alice-password-2')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal((await after.browser.get('/me')).statusCode, 200, 'a sign-in after the reset lives on')
  t.equal(received.length, 1, 'and nothing more was sent')
})

t.test('a reset made while no auth ran ends the Redis sessions at the next start', { skip: redisUrl() === undefined && 'REDIS_URL is not set (embedded run)' }, async (t) => {
  const redisPrefix = testKeyPrefix('auth')
  const first = await build(t, db, { clients: [client], redisPrefix, passwordResetPollMs: 50 })
  await addAccount(first.app, 'carol', 'carol-password')
  const carol = await signIn(first.app, 'carol', 'carol-password')
  await first.app.close()
  received.length = 0
  // No auth runs now: the reset is made as user:add makes it, through its own database connection.
  const prisma = createPrismaClient({ url: db.url, poolMax: 1 })
  t.teardown(() => prisma.$disconnect())
  await upsertAccount(prisma, 'carol', 'carol-password-2', FAST_SCRYPT)
  const second = await build(t, db, { clients: [client], redisPrefix, passwordResetPollMs: 50 })
  const browser = new Browser(second.app)
  for (const [k, v] of carol.browser.jar) browser.jar.set(k, v)
  await until('the older Redis session ended', async () => (await browser.get('/me')).statusCode === 401)
  await until('B was told', async () => received.length === 1)
  t.same((JSON.parse(received[0]!.body) as LogoutMessage).sids, [carol.sid])
})
