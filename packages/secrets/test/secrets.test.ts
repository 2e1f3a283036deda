import t from 'tap'
import crypto from 'node:crypto'
import { ConfigError } from '@kefu/service'
import { SecretBox, SecretError, generateSecretKey, parseSecretKeys, readSecretKeys } from '../src/index.js'

const b64 = (): string => crypto.randomBytes(32).toString('base64')

t.test('round trip: what is sealed opens, and the plaintext is nowhere in the sealed value', async (t) => {
  const box = new SecretBox([generateSecretKey('k1')])
  for (const plain of ['', 'a', 'an-app-secret-0123456789abcdef', '密钥 with ünïcode', 'x'.repeat(5000)]) {
    const sealed = box.seal(plain, 'mini_program:wx0123456789abcdef:secret')
    t.match(sealed, /^v1:k1:[A-Za-z0-9_-]+$/)
    // a short plaintext can occur in random base64 by chance ('a' often does): only long ones are checked
    if (plain.length >= 16) t.notOk(sealed.includes(plain), 'no plaintext inside')
    t.equal(box.open(sealed, 'mini_program:wx0123456789abcdef:secret'), plain)
  }
  t.not(box.seal('same'), box.seal('same'), 'a fresh IV each time')
})

t.test('a wrong key, another context, or a tampered value does not open', async (t) => {
  const box = new SecretBox([generateSecretKey('k1')])
  const sealed = box.seal('the-secret', 'ctx')
  t.throws(() => new SecretBox([generateSecretKey('k1')]).open(sealed, 'ctx'), SecretError, 'same id, another key')
  t.throws(() => new SecretBox([generateSecretKey('k2')]).open(sealed, 'ctx'), /key "k1", which KEFU_SECRET_KEY does not list/)
  t.throws(() => box.open(sealed, 'other-ctx'), SecretError, 'copied to another row or column')
  const body = Buffer.from(sealed.split(':')[2]!, 'base64url')
  for (const at of [0, 12, body.length - 1]) {
    const changed = Buffer.from(body)
    changed[at]! ^= 1
    t.throws(() => box.open(`v1:k1:${changed.toString('base64url')}`, 'ctx'), SecretError, `byte ${at} flipped`)
  }
  t.throws(() => box.open(`v1:k1:${body.subarray(0, 20).toString('base64url')}`, 'ctx'), SecretError, 'truncated')
  t.throws(() => box.open('the-secret', 'ctx'), /not a sealed value/, 'plaintext is not accepted as sealed')
})

t.test('rotation: the first key seals, every key opens, isCurrent says what to re-seal', async (t) => {
  const k1 = generateSecretKey('k1')
  const k2 = generateSecretKey('k2')
  const old = new SecretBox([k1])
  const sealedOld = old.seal('s', 'c')
  const rotated = new SecretBox([k2, k1])
  t.equal(rotated.currentKeyId, 'k2')
  t.equal(rotated.open(sealedOld, 'c'), 's', 'the old key still opens')
  t.notOk(rotated.isCurrent(sealedOld))
  const resealed = rotated.seal(rotated.open(sealedOld, 'c'), 'c')
  t.ok(rotated.isCurrent(resealed))
  t.equal(new SecretBox([k2]).open(resealed, 'c'), 's', 'after re-sealing, the old key can go')
  t.throws(() => new SecretBox([k2]).open(sealedOld, 'c'), SecretError)
})

t.test('KEFU_SECRET_KEY: parsed, and refused with one line naming it', async (t) => {
  const a = b64()
  const keys = parseSecretKeys(`k1:${a},old:${b64().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`)
  t.same(keys.map((k) => k.id), ['k1', 'old'])
  t.same(keys[0]!.key, Buffer.from(a, 'base64'))
  const bad: Array<[string, RegExp]> = [
    ['k1', /^KEFU_SECRET_KEY must be id:base64/],
    [`k1:${crypto.randomBytes(16).toString('base64')}`, /must be 32 bytes in base64, got 16/],
    [`bad id:${a}`, /the id "bad id" must be/],
    ['k1:not base64!', /is not base64/],
    [`k1:${a},k1:${b64()}`, /KEFU_SECRET_KEY key 2: the id "k1" is listed twice/],
    ['change-me-to-id:base64-of-32-random-bytes', /placeholder from \.env\.example/],
    ['k1:change-me-to-32-random-bytes-in-base64', /placeholder from \.env\.example/]
  ]
  for (const [value, message] of bad) {
    const err = t.throws(() => parseSecretKeys(value), ConfigError, value) as Error
    t.match(err.message, message)
    t.notOk(err.message.includes('\n'), 'one line')
  }
})

t.test('generated per start without DATABASE_URL, required with it', async (t) => {
  const generated = readSecretKeys({}, { generateMissing: true })
  t.equal(generated.generated, true)
  t.equal(generated.keys[0]!.key.length, 32)
  t.not(readSecretKeys({}, { generateMissing: true }).keys[0]!.key.toString('hex'), generated.keys[0]!.key.toString('hex'))
  t.throws(() => readSecretKeys({ KEFU_SECRET_KEY: ' ' }, { generateMissing: false }), /KEFU_SECRET_KEY is required with DATABASE_URL/)
  const set = readSecretKeys({ KEFU_SECRET_KEY: `k9:${b64()}` }, { generateMissing: true })
  t.equal(set.generated, false)
  t.equal(set.keys[0]!.id, 'k9')
})
