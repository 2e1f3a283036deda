import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  computeSignature, computeMsgSignature, verifySignature, safeEqualHex, MessageCipher, PushCrypto, parsePushBody, parseMessage
} from '../src/index.js'

const vectors = JSON.parse(readFileSync(new URL('./fixtures/wechat-vectors.json', import.meta.url), 'utf8'))

t.test('URL verification signature', async (t) => {
  const v = vectors.urlVerification
  t.equal(computeSignature(v.token, v.timestamp, v.nonce), v.signature)
  t.ok(verifySignature(v.token, v.timestamp, v.nonce, v.signature))
  t.ok(verifySignature(v.token, v.timestamp, v.nonce, v.signature.toUpperCase()), 'hex case does not matter')
  t.notOk(verifySignature(v.token, v.timestamp, v.nonce, v.signature.replace(/.$/, '0')))
  t.notOk(verifySignature(v.token, v.timestamp, v.nonce, undefined))
  t.ok(safeEqualHex(v.signature, v.signature.toUpperCase()))
  t.notOk(safeEqualHex(v.signature, v.signature.slice(0, 39)))
  t.notOk(safeEqualHex('not hex', 'not hex'), 'only 40-digit hex digests compare equal')
})

t.test('safe-mode push: signature, msg_signature, decryption, parsing', async (t) => {
  const v = vectors.safeModePush
  t.equal(computeSignature(v.token, v.timestamp, v.nonce), v.signature)
  t.equal(computeMsgSignature(v.token, v.timestamp, v.nonce, v.Encrypt), v.msg_signature)
  const push = new PushCrypto({ appid: v.appid, token: v.token, encodingAESKey: v.encodingAESKey })
  const out = push.decryptPush(v.timestamp, v.nonce, v.Encrypt, v.msg_signature)
  t.equal(out.random.toString('utf8'), v.decrypted.random)
  t.equal(out.message, v.decrypted.message)
  t.equal(out.appid, v.decrypted.appid)
  const message = parseMessage(parsePushBody(out.message))
  t.equal(message.kind, 'other')
  t.equal(message.fromUserName, v.openid)
  t.equal(message.createTime, '1714112445')
  t.equal(message.fields.debug_str, 'hello world')
  t.throws(() => push.decryptPush(v.timestamp, v.nonce, v.Encrypt, v.signature), { code: 'BAD_SIGNATURE' })
  const other = new PushCrypto({ appid: 'wx0000000000000000', token: v.token, encodingAESKey: v.encodingAESKey })
  t.throws(() => other.decrypt(v.Encrypt), { code: 'APPID_MISMATCH' })
})

t.test('safe-mode reply is reproduced byte for byte', async (t) => {
  const v = vectors.safeModeReply
  const push = new PushCrypto({ appid: v.appid, token: v.token, encodingAESKey: v.encodingAESKey })
  const reply = push.encryptReply(v.message, v.TimeStamp, v.Nonce, v.random)
  t.same(reply, { Encrypt: v.Encrypt, MsgSignature: v.MsgSignature, TimeStamp: v.TimeStamp, Nonce: v.Nonce })
  t.equal(push.decrypt(v.Encrypt).message, v.message)
})

t.test('Tencent WXBizMsgCrypt sample (UTF-8 message)', async (t) => {
  const v = vectors.tencentSample
  const cipher = new MessageCipher(v.encodingAESKey, v.appid)
  t.equal(cipher.encrypt(v.message, v.random), v.Encrypt)
  const out = cipher.decrypt(v.Encrypt)
  t.equal(out.message, v.message)
  t.equal(out.random.toString(), v.random)
})

t.test('key rotation: the previous key still decrypts', async (t) => {
  const v = vectors.tencentSample
  const next = 'B'.repeat(43)
  const rotated = new PushCrypto({ appid: v.appid, token: v.token, encodingAESKey: next, previousEncodingAESKey: v.encodingAESKey })
  t.equal(rotated.decrypt(v.Encrypt).message, v.message)
  const fresh = new PushCrypto({ appid: v.appid, token: v.token, encodingAESKey: next })
  t.throws(() => fresh.decrypt(v.Encrypt))
  t.equal(rotated.decrypt(rotated.encrypt('after rotation')).message, 'after rotation', 'new pushes use the new key')
})
