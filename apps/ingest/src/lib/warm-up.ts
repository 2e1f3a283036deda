import { buildPush, detectFormat, messageFields, parseMessage, parsePushBody, PushCrypto } from '@kefu/wechat-crypto'
import { rowProblem, toRow, type MessageRow } from './message-row.js'
import { int8Array, textArray } from './pg-binary.js'

const WARM_UP_APP = { appid: 'wx0000000000warmup', token: 'warmUpToken', encodingAESKey: 'warmUpKeywarmUpKeywarmUpKeywarmUpKeywarmUpK' }

/**
 * Runs the CPU-heavy steps of a push (signatures, decryption, both parsers, the row and its binary encoding) on
 * made-up pushes of a made-up app, so that V8 has compiled them before the first real push: without it the first
 * pushes after a start took 5–20 ms instead of about one. Nothing is stored; takes some tens of milliseconds.
 */
export function warmUpPushPath (rounds = 300): void {
  const crypto = new PushCrypto(WARM_UP_APP)
  const samples = (['json', 'xml'] as const).map((format, i) => buildPush({
    ...WARM_UP_APP,
    mode: 'safe',
    format,
    timestamp: '1700000000',
    nonce: String(1000 + i),
    fields: messageFields({ type: 'text', fromUserName: 'o_warm_up', msgId: 1n + BigInt(i), content: '预热' })
  }))
  const rows: MessageRow[] = []
  for (let i = 0; i < rounds; i++) {
    const built = samples[i % samples.length]!
    const { timestamp, nonce, signature, msg_signature: msgSignature } = built.query as Record<string, string>
    const format = built.contentType.includes('json') ? 'json' : 'xml'
    const outer = parsePushBody(built.body, format)
    const encrypt = outer.Encrypt as string
    if (!crypto.verifySignature(timestamp!, nonce!, signature) || !crypto.verifyMsgSignature(timestamp!, nonce!, encrypt, msgSignature)) {
      throw new Error('warm-up push does not verify')
    }
    const payload = crypto.decrypt(encrypt).message
    const payloadFormat = detectFormat(payload)
    const row = toRow(parseMessage(parsePushBody(payload, payloadFormat)), {
      appId: WARM_UP_APP.appid, signature: signature!, timestamp: timestamp!, nonce: nonce!, encryptType: 'aes', msgSignature: msgSignature!, encrypt, payload, format: payloadFormat
    })
    if (rowProblem(row) !== undefined) throw new Error('warm-up row refused')
    rows.push(row)
    if (rows.length === 20) {
      textArray(rows.map((r) => r.payload))
      int8Array(rows.map((r) => r.wechatCreateTime))
      rows.length = 0
    }
  }
}
