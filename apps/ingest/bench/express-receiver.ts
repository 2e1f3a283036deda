// What a user would write instead of kefu, for the benchmark's comparison: Express, the most-used npm WeChat crypto
// library (wechat-crypto, Tencent's WXBizMsgCrypt ported), node-postgres, one INSERT per push. It checks
// msg_signature, decrypts, reads the message's fields and stores it exactly once (the same unique key) before
// answering success; it keeps no conversations and does none of kefu's other checks.
import { createRequire } from 'node:module'
import express from 'express'
import pg from 'pg'

const require = createRequire(import.meta.url)
const WXBizMsgCrypt = require('wechat-crypto') as new (token: string, key: string, id: string) => {
  getSignature: (timestamp: string, nonce: string, encrypt: string) => string
  decrypt: (text: string) => { message: string, id: string }
}

interface App { appid: string, token: string, encodingAESKey: string }

function xmlField (xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(xml)
  return m === null ? undefined : (m[1] ?? m[2])
}

function fieldsOf (text: string): Record<string, string> {
  if (text.trimStart().startsWith('{')) {
    // MsgId is 64-bit: keep it exact as a string.
    const raw = JSON.parse(text.replace(/"MsgId"\s*:\s*(\d+)/, '"MsgId":"$1"')) as Record<string, unknown>
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]))
  }
  const out: Record<string, string> = {}
  for (const name of ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId', 'Encrypt']) {
    const v = xmlField(text, name)
    if (v !== undefined) out[name] = v
  }
  return out
}

export async function startExpressReceiver (app: App, databaseUrl: string, poolMax: number): Promise<{ port: number, close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax })
  const cryptor = new WXBizMsgCrypt(app.token, app.encodingAESKey, app.appid)
  const server = express()
  server.use(express.text({ type: ['application/json', 'text/xml', 'application/xml'], limit: '1mb' }))
  server.post('/wechat/:appid', async (req, res) => {
    try {
      const { timestamp, nonce, msg_signature: msgSignature } = req.query as Record<string, string>
      const encrypt = fieldsOf(req.body as string).Encrypt
      if (encrypt === undefined || cryptor.getSignature(timestamp!, nonce!, encrypt) !== msgSignature) {
        res.status(401).send('bad signature')
        return
      }
      const { message } = cryptor.decrypt(encrypt)
      const m = fieldsOf(message)
      await pool.query(
        `INSERT INTO customer_message (app_id, dedupe_key, timestamp, nonce, openid, encrypt_type, msg_signature, to_username,
           from_username, msg_type, msg_info, msg_id, encrypt, payload, format, wechat_create_time)
         VALUES ($1, $2, $3, $4, $5, 'aes', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (app_id, dedupe_key, wechat_create_time) DO NOTHING`,
        [app.appid, `m:${m.MsgId}`, timestamp, nonce, m.FromUserName, msgSignature, m.ToUserName, m.FromUserName, m.MsgType,
          JSON.stringify({ text: m.Content }), m.MsgId, encrypt, message, message.startsWith('{') ? 'json' : 'xml', m.CreateTime])
      res.send('success')
    } catch (err) {
      res.status(500).send((err as Error).message)
    }
  })
  const listener = server.listen(0, '127.0.0.1')
  await new Promise((resolve) => listener.once('listening', resolve))
  return {
    port: (listener.address() as { port: number }).port,
    async close () {
      await new Promise((resolve) => listener.close(resolve))
      await pool.end()
    }
  }
}
