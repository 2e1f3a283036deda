import t from 'tap'
import { frame, rawEncrypt as rawEncryptWith } from '../src/testing.js'
import crypto from 'node:crypto'
import { MessageCipher, decodeAESKey } from '../src/index.js'

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const APPID = 'wxb11529c136998cb6'
const cipher = new MessageCipher(KEY, APPID)
const aesKey = decodeAESKey(KEY)

const rawEncrypt = (plain: Buffer): string => rawEncryptWith(aesKey, plain)

t.test('round trip at every length around the 32-byte block', async (t) => {
  for (let len = 0; len <= 70; len++) {
    const message = 'x'.repeat(len)
    t.equal(cipher.decrypt(cipher.encrypt(message)).message, message, `length ${len}`)
  }
})

t.test('a full block of padding (32 bytes of 0x20) is valid: 16-byte unpadders get this wrong', async (t) => {
  // 20 + 12 + 18 = 50 → pad 14; choose a message so that content is a multiple of 32
  const message = 'y'.repeat(64 - 20 - APPID.length)
  const plain = frame(message, APPID)
  t.equal(plain.length, 96)
  t.equal(plain[95], 32)
  t.equal(cipher.decrypt(rawEncrypt(plain)).message, message)
})

t.test('the long-lived CBC decipher matches a fresh OpenSSL CBC on random inputs, in any order', async (t) => {
  for (let i = 0; i < 50; i++) {
    const message = crypto.randomBytes(1 + (i * 37) % 700).toString('base64')
    t.equal(cipher.decrypt(rawEncrypt(frame(message, APPID))).message, message)
  }
  t.equal(cipher.decrypt(cipher.encrypt('after many')).message, 'after many', 'no state leaks between calls')
  t.throws(() => cipher.decrypt(rawEncrypt(frame('x', 'wx0000000000000000'))))
  t.throws(() => cipher.decrypt(Buffer.from(cipher.encrypt('y'), 'base64').subarray(0, 48).toString('base64')))
  t.equal(cipher.decrypt(cipher.encrypt('after failures')).message, 'after failures', 'failures leave no state behind')
})

t.test('refuses broken inputs with a code', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['empty', '', 'BAD_BASE64'],
    ['not base64', '!!!!', 'BAD_BASE64'],
    ['URL-safe base64 (-)', '-' + cipher.encrypt('hi').slice(1), 'BAD_BASE64'],
    ['URL-safe base64 (_)', '_' + cipher.encrypt('hi').slice(1), 'BAD_BASE64'],
    ['= inside', 'AAAA=AAA', 'BAD_BASE64'],
    ['base64 with a space', cipher.encrypt('hi').replace(/^(.{4})/, '$1 ').slice(0, -1), 'BAD_BASE64'],
    ['truncated (not a multiple of 4)', cipher.encrypt('hi').slice(0, -3), 'BAD_BASE64'],
    ['truncated by a block', Buffer.from(cipher.encrypt('hello world'), 'base64').subarray(0, 16).toString('base64'), 'BAD_CIPHERTEXT'],
    ['pad byte 0', rawEncrypt(frame('hi', APPID, 0).length % 32 === 0 ? Buffer.concat([frame('hi', APPID, 0)]) : Buffer.concat([frame('hi', APPID, 0), Buffer.alloc(32 - frame('hi', APPID, 0).length % 32, 0)])), 'BAD_PADDING'],
    ['pad byte 33', rawEncrypt(Buffer.concat([frame('', APPID, 0), Buffer.alloc(64 - frame('', APPID, 0).length, 33)])), 'BAD_PADDING'],
    ['inconsistent padding', (() => { const p = frame('hello', APPID); p[p.length - 2] = 1; return rawEncrypt(p) })(), 'BAD_PADDING'],
    ['length beyond content', (() => { const p = frame('hello', APPID); p.writeUInt32BE(1000, 16); return rawEncrypt(p) })(), 'BAD_LENGTH'],
    ['wrong appid', rawEncrypt(frame('hello', 'wx0000000000000000')), 'APPID_MISMATCH']
  ]
  for (const [name, input, code] of cases) t.throws(() => cipher.decrypt(input), { code }, name)
  t.throws(() => decodeAESKey('short'), { code: 'BAD_AES_KEY' })
  t.throws(() => decodeAESKey('a'.repeat(42) + '!'), { code: 'BAD_AES_KEY' })
})
