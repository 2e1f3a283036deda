// pnpm bench:crypto — verify msg_signature + decrypt, ops/s, against the npm packages wechat-crypto and
// @wecom/crypto, same inputs, same process, alternating rounds. Bounded: ~1 s per round.
import crypto from 'node:crypto'
import os from 'node:os'
import { createRequire } from 'node:module'
import { PushCrypto, buildPush, messageFields, parsePushBody } from '../src/index.js'

const require = createRequire(import.meta.url)
const WXBizMsgCrypt = require('wechat-crypto') as new (token: string, key: string, id: string) => {
  getSignature: (timestamp: string, nonce: string, encrypt: string) => string
  decrypt: (text: string) => { message: string, id: string }
}
const wecom = require('@wecom/crypto') as {
  getSignature: (token: string, timestamp: string, nonce: string, encrypt: string) => string
  decrypt: (key: string, encrypt: string) => { message: string, id: string }
}

const appid = 'wxba5fad812f8e6fb9'
const token = 'AAAAA'
const encodingAESKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const SAMPLES = 1024

interface Sample { timestamp: string, nonce: string, encrypt: string, msgSignature: string }
const samples: Sample[] = []
for (let i = 0; i < SAMPLES; i++) {
  const content = '你好，我想咨询一下订单 ' + crypto.randomBytes(8 + (i % 64)).toString('hex')
  const built = buildPush({ appid, token, encodingAESKey, mode: 'safe', format: 'json', fields: messageFields({ type: 'text', content }) })
  const envelope = parsePushBody(built.body, 'json') as { Encrypt: string }
  samples.push({ timestamp: built.query.timestamp!, nonce: built.query.nonce!, encrypt: envelope.Encrypt, msgSignature: built.query.msg_signature! })
}

const ours = new PushCrypto({ appid, token, encodingAESKey })
const webot = new WXBizMsgCrypt(token, encodingAESKey, appid)

type Op = (s: Sample) => string
const candidates: Array<[string, Op]> = [
  ['@kefu/wechat-crypto', (s) => ours.decryptPush(s.timestamp, s.nonce, s.encrypt, s.msgSignature).message],
  ['wechat-crypto', (s) => {
    if (webot.getSignature(s.timestamp, s.nonce, s.encrypt) !== s.msgSignature) throw new Error('signature')
    const out = webot.decrypt(s.encrypt)
    if (out.id !== appid) throw new Error('appid')
    return out.message
  }],
  ['@wecom/crypto', (s) => {
    if (wecom.getSignature(token, s.timestamp, s.nonce, s.encrypt) !== s.msgSignature) throw new Error('signature')
    const out = wecom.decrypt(encodingAESKey, s.encrypt)
    if (out.id !== appid) throw new Error('appid')
    return out.message
  }]
]

// Every implementation must agree on every sample before anything is timed.
for (const s of samples) {
  const results = candidates.map(([, op]) => op(s))
  if (results.some((r) => r !== results[0])) throw new Error('implementations disagree')
}

function round (op: Op, ms: number): number {
  let ops = 0
  let sink = 0
  const end = performance.now() + ms
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) sink += op(samples[(ops + i) & (SAMPLES - 1)]!).length
    ops += 256
  }
  if (sink === 0) throw new Error('unreachable')
  return ops / (ms / 1000)
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const rates = new Map<string, number[]>(candidates.map(([name]) => [name, []]))
for (const [, op] of candidates) round(op, 300) // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, op] of candidates) rates.get(name)!.push(round(op, 1000))
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`verify msg_signature + decrypt, ${SAMPLES} distinct pushes, ${ROUNDS} rounds of 1 s each, median ops/s`)
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${new Date().toISOString().slice(0, 10)}`)
const results = candidates.map(([name]) => [name, median(rates.get(name)!)] as const)
for (const [name, rate] of results) console.log(`${name.padEnd(22)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} ops/s`)
const best = Math.max(...results.slice(1).map(([, r]) => r))
const ratio = results[0]![1] / best
console.log(`ratio vs the faster of the others: ${ratio.toFixed(2)}× (goal ≥ 1.5×) ${ratio >= 1.5 ? 'MET' : 'NOT MET'}`)
