import t from 'tap'
import { frame, rawEncrypt as rawEncryptWith } from '@kefu/wechat-crypto/testing'
import crypto from 'node:crypto'
import { computeMsgSignature, computeSignature, decodeAESKey, MessageCipher, stringifyFlat, stringifyFlatXml } from '@kefu/wechat-crypto'
import { PLAIN_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'

const db = await fileDatabase(t, 'ingest_hostile')
const app = await build(t, db)

interface Req { appid?: string, query: Record<string, string | string[]>, body?: string, contentType?: string | null }

function now (): string { return Math.floor(Date.now() / 1000).toString() }

/** Correct signature and msg_signature around any Encrypt value, so the request gets as far as decryption. */
function signedEncrypt (encrypt: string, format: 'json' | 'xml' = 'json'): Req {
  const timestamp = now()
  const nonce = crypto.randomInt(1e9).toString()
  const body = format === 'json' ? stringifyFlat({ ToUserName: 'gh_1', Encrypt: encrypt }) : stringifyFlatXml({ ToUserName: 'gh_1', Encrypt: encrypt })
  return {
    appid: SAFE_APP.appid,
    query: { signature: computeSignature(SAFE_APP.token, timestamp, nonce), timestamp, nonce, encrypt_type: 'aes', msg_signature: computeMsgSignature(SAFE_APP.token, timestamp, nonce, encrypt) },
    body,
    contentType: format === 'json' ? 'application/json' : 'text/xml'
  }
}

/** A plaintext-mode request with a valid signature and any body. */
function signedPlain (body: string, contentType: string | null = 'application/json'): Req {
  const timestamp = now()
  const nonce = crypto.randomInt(1e9).toString()
  return { appid: PLAIN_APP.appid, query: { signature: computeSignature(PLAIN_APP.token, timestamp, nonce), timestamp, nonce }, body, contentType }
}

const key = decodeAESKey(SAFE_APP.encodingAESKey!)
const rawEncrypt = (plain: Buffer): string => rawEncryptWith(key, plain)
const good = () => stringifyFlat(fields('text', { fromUserName: 'o_hostile' }))
const safe = () => push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_hostile' }))
const plain = () => push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: 'o_hostile' }))
function fromBuilt (b: { query: Record<string, string>, body: string, contentType: string }, appid: string): Req {
  return { appid, query: b.query, body: b.body, contentType: b.contentType }
}
function tweak (b: Req, q: Record<string, string | undefined>): Req {
  const query = { ...b.query }
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) delete query[k]
    else query[k] = v
  }
  return { ...b, query }
}
const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><ToUserName>gh</ToUserName><FromUserName>o_hostile</FromUserName>' +
  '<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>'
const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh</ToUserName><FromUserName>o_hostile</FromUserName>' +
  '<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>'
const cipher = new MessageCipher(SAFE_APP.encodingAESKey!, SAFE_APP.appid)

const cases: Array<[string, () => Req, number, string?]> = [
  ['unknown appid', () => ({ ...fromBuilt(plain(), PLAIN_APP.appid), appid: 'wx0000000000000fff' }), 404, 'KEFU_INGEST_UNKNOWN_APP'],
  ['malformed appid in the path', () => ({ ...fromBuilt(plain(), PLAIN_APP.appid), appid: '..%2f..%2fetc' }), 404],
  ['missing signature', () => tweak(fromBuilt(plain(), PLAIN_APP.appid), { signature: undefined }), 401, 'KEFU_INGEST_BAD_SIGNATURE'],
  ['forged signature', () => tweak(fromBuilt(plain(), PLAIN_APP.appid), { signature: 'f'.repeat(40) }), 401, 'KEFU_INGEST_BAD_SIGNATURE'],
  ['signature of another token', () => { const b = plain(); return tweak(fromBuilt(b, PLAIN_APP.appid), { signature: computeSignature('otherToken', b.query.timestamp!, b.query.nonce!) }) }, 401],
  ['signature given twice (malformed query)', () => ({ ...fromBuilt(plain(), PLAIN_APP.appid), query: { ...plain().query, signature: ['a', 'b'] } }), 400],
  ['missing timestamp', () => tweak(fromBuilt(plain(), PLAIN_APP.appid), { timestamp: undefined }), 401],
  ['timestamp not a number', () => tweak(fromBuilt(plain(), PLAIN_APP.appid), { timestamp: '17e8' }), 401],
  ['missing nonce', () => tweak(fromBuilt(plain(), PLAIN_APP.appid), { nonce: undefined }), 401],
  ['stale timestamp', () => fromBuilt(push(PLAIN_APP, 'plain', 'json', fields('text'), { timestamp: String(Number(now()) - 305) }), PLAIN_APP.appid), 401, 'KEFU_INGEST_STALE_TIMESTAMP'],
  ['future timestamp', () => fromBuilt(push(PLAIN_APP, 'plain', 'json', fields('text'), { timestamp: String(Number(now()) + 305) }), PLAIN_APP.appid), 401, 'KEFU_INGEST_STALE_TIMESTAMP'],
  ['plaintext push to an encrypted app (downgrade)', () => fromBuilt(push(SAFE_APP, 'plain', 'json', fields('text', { fromUserName: 'o_hostile' })), SAFE_APP.appid), 401],
  ['compat body without msg_signature', () => tweak(fromBuilt(push(SAFE_APP, 'compat', 'json', fields('text')), SAFE_APP.appid), { msg_signature: undefined }), 401],
  ['forged msg_signature', () => tweak(fromBuilt(safe(), SAFE_APP.appid), { msg_signature: '0'.repeat(40) }), 401],
  ['msg_signature of another Encrypt', () => { const a = safe(); const b = safe(); return { ...fromBuilt(a, SAFE_APP.appid), body: b.body } }, 401],
  ['encrypt_type missing', () => tweak(fromBuilt(safe(), SAFE_APP.appid), { encrypt_type: undefined }), 400],
  ['Encrypt missing', () => signedEncrypt(''), 400],
  ['wrong appid after decrypting', () => signedEncrypt(new MessageCipher(SAFE_APP.encodingAESKey!, 'wx1111111111111111').encrypt(good())), 400, 'KEFU_INGEST_APPID_MISMATCH'],
  ['bad padding (byte 0)', () => signedEncrypt(rawEncrypt(Buffer.concat([frame(good(), SAFE_APP.appid, 0), Buffer.alloc((32 - frame(good(), SAFE_APP.appid, 0).length % 32) % 32 || 32, 0)]))), 400, 'KEFU_INGEST_DECRYPT_FAILED'],
  ['bad padding (inconsistent bytes)', () => { const p = frame(good(), SAFE_APP.appid); p[p.length - 2] = 0; return signedEncrypt(rawEncrypt(p)) }, 400, 'KEFU_INGEST_DECRYPT_FAILED'],
  ['message length beyond the content', () => { const p = frame(good(), SAFE_APP.appid); p.writeUInt32BE(0x7fffffff, 16); return signedEncrypt(rawEncrypt(p)) }, 400],
  ['truncated Encrypt (not base64 length)', () => signedEncrypt(cipher.encrypt(good()).slice(0, -5)), 400],
  ['truncated Encrypt (one block)', () => signedEncrypt(Buffer.from(cipher.encrypt(good()), 'base64').subarray(0, 16).toString('base64')), 400],
  ['non-base64 Encrypt', () => signedEncrypt('%%%%not*base64%%%%'), 400],
  ['Encrypt with the wrong key', () => signedEncrypt(new MessageCipher('B'.repeat(43), SAFE_APP.appid).encrypt(good())), 400],
  ['decrypted content neither JSON nor XML', () => signedEncrypt(cipher.encrypt('hello there')), 400],
  ['decrypted XML with a DOCTYPE', () => signedEncrypt(cipher.encrypt(bomb), 'xml'), 400],
  ['decrypted message with a NUL in FromUserName', () => signedEncrypt(cipher.encrypt(stringifyFlat({ ...fields('text'), FromUserName: 'o\u0000x' }))), 400],
  // A CreateTime PostgreSQL could not store would fail every push of its group-commit batch: refused on its own.
  ['CreateTime beyond any timestamp', () => signedEncrypt(cipher.encrypt(stringifyFlat({ ...fields('text'), CreateTime: '99999999999999999999' }))), 400, 'KEFU_INGEST_BAD_BODY'],
  ['CreateTime past the year 9999', () => signedEncrypt(cipher.encrypt(stringifyFlat({ ...fields('text'), CreateTime: '253402300800' }))), 400, 'KEFU_INGEST_BAD_BODY'],
  ['Encrypt sent to a plaintext app', () => signedPlain(stringifyFlat({ ToUserName: 'gh', Encrypt: cipher.encrypt(good()) })), 400],
  ['malformed JSON', () => signedPlain('{"ToUserName":"gh",'), 400, 'KEFU_INGEST_BAD_BODY'],
  ['JSON array body', () => signedPlain('[1,2,3]'), 400],
  ['malformed XML', () => signedPlain('<xml><ToUserName>gh</xml>', 'text/xml'), 400],
  ['XML entity bomb (billion laughs)', () => signedPlain(bomb, 'text/xml'), 400],
  ['XML external entity (XXE)', () => signedPlain(xxe, 'text/xml'), 400],
  ['JSON body labelled as XML', () => signedPlain(good(), 'text/xml'), 400],
  ['text message without MsgId', () => signedPlain(stringifyFlat({ ...fields('text'), MsgId: '' })), 400],
  ['MsgId that is not a number', () => signedPlain(stringifyFlat({ ...fields('text'), MsgId: '12ab' })), 400],
  ['wrong content type', () => signedPlain(good(), 'text/plain'), 415],
  ['form-encoded body', () => signedPlain('ToUserName=gh', 'application/x-www-form-urlencoded'), 415],
  ['no content type', () => signedPlain(good(), null), 415],
  ['empty body', () => signedPlain('', 'application/json'), 400],
  ['whitespace body', () => signedPlain('   \n', 'application/json'), 400],
  ['body over 1 MB', () => signedPlain('{"Content":"' + 'x'.repeat(1024 * 1024) + '"}'), 413]
]

t.test(`${cases.length} hostile requests are refused with the right status, and nothing is stored`, async (t) => {
  t.ok(cases.length >= 25)
  for (const [name, make, status, code] of cases) {
    const req = make()
    const headers: Record<string, string> = {}
    if (req.contentType !== null && req.contentType !== undefined) headers['content-type'] = req.contentType
    const res = await app.inject({ method: 'POST', url: `/wechat/${req.appid ?? PLAIN_APP.appid}`, query: req.query, headers, payload: req.body })
    t.equal(res.statusCode, status, `${name}: ${res.statusCode} ${res.body.slice(0, 160)}`)
    if (code !== undefined) t.equal(res.json().code, code, `${name}: code`)
    if (res.headers['content-type']?.toString().includes('json') === true) {
      const message = res.json().message as string
      t.ok(message.length > 0 && !message.includes('\n') && !/at .*\.(ts|js):\d+/.test(message), `${name}: one readable line`)
    }
    t.equal(await app.prisma.customerMessage.count(), 0, `${name}: nothing stored`)
  }
})

t.test('a replayed nonce with another body is refused; the first body stays the only row', async (t) => {
  const first = push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: 'o_replay' }))
  t.equal((await send(app, PLAIN_APP.appid, first)).statusCode, 200)
  const forged = { ...first, body: stringifyFlat(fields('text', { fromUserName: 'o_replay', content: 'transfer all money' })) }
  const res = await send(app, PLAIN_APP.appid, forged)
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'KEFU_INGEST_REPLAYED_NONCE')
  t.equal((await send(app, PLAIN_APP.appid, first)).statusCode, 200, 'the original request again is still fine')
  t.equal(await app.prisma.customerMessage.count(), 1)

  // Encrypted modes: msg_signature binds the pair to Encrypt, so another Encrypt under the same pair fails it.
  const safeFirst = push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_replay' }))
  t.equal((await send(app, SAFE_APP.appid, safeFirst)).statusCode, 200)
  const other = push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_replay', content: 'forged' }), { timestamp: safeFirst.query.timestamp, nonce: safeFirst.query.nonce })
  const safeReplay = await send(app, SAFE_APP.appid, { ...safeFirst, body: other.body })
  t.equal(safeReplay.statusCode, 401)
  t.equal(safeReplay.json().code, 'KEFU_INGEST_BAD_SIGNATURE')
  t.equal((await send(app, SAFE_APP.appid, safeFirst)).statusCode, 200, 'the original encrypted request again is fine')
  t.equal(await app.prisma.customerMessage.count(), 2)
})

t.test('the timestamp window is exact: ±300 s accepted, ±301 s refused', async (t) => {
  const clock = 1_800_000_000_500
  const fixed = await build(t, db, { now: () => clock })
  const base = Math.floor(clock / 1000)
  for (const [offset, status] of [[-300, 200], [300, 200], [-301, 401], [301, 401]] as const) {
    const b = push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: 'o_window' }), { timestamp: String(base + offset) })
    t.equal((await send(fixed, PLAIN_APP.appid, b)).statusCode, status, `offset ${offset} s`)
  }
  await fixed.prisma.customerMessage.deleteMany({ where: { openid: 'o_window' } })
})
