// The load of the load-balancer suite: WeChat's pushes to ingest through HAProxy, `concurrency` at a time on
// keep-alive connections. With `retry`, a client that behaves like WeChat: a push that fails (an error, a status other
// than 200 `success`, no answer within the timeout) is sent again, the same request byte for byte (same MsgId), until
// it is acknowledged or the attempts run out. Without, each push is sent once and its outcome recorded.
import http from 'node:http'
import type { WechatAppConfig } from '@kefu/service'
import { buildPush, messageFields } from '@kefu/wechat-crypto'

export interface Push {
  msgId: string
  /** The text message's content (unique within one run). */
  content: string
  /** Every attempt's outcome: `200 success`, `502 …`, `timeout`, `ECONNRESET`… */
  attempts: string[]
  acknowledged: boolean
}

export interface LoadOptions {
  /** ingest's base URL (HAProxy's frontend). */
  url: string
  app: WechatAppConfig
  concurrency: number
  /** Stop after this many pushes, or when `stop()` says so, whichever first. */
  count?: number
  stop?: () => boolean
  retry?: { attempts: number, timeoutMs: number, delayMs: number }
  /** A pause after each push, per worker: steady traffic rather than all the machine can take. */
  pauseMs?: number
  /** The content of each text message (its index appended). */
  content?: string
  onAcknowledged?: (push: Push) => void
}

export interface LoadResult { pushes: Push[], ms: number }

function send (agent: http.Agent, url: string, body: string, contentType: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(url, { agent, method: 'POST', headers: { 'content-type': contentType } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => { resolve(`${res.statusCode} ${text.slice(0, 80)}`) })
      res.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
    })
    req.setTimeout(timeoutMs, () => { req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })) })
    req.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
    req.end(body)
  })
}

export async function runLoad (options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency })
  const pushes: Push[] = []
  const started = Date.now()
  const more = (): boolean => (options.count === undefined || pushes.length < options.count) && options.stop?.() !== true
  const attempts = options.retry?.attempts ?? 1
  const timeoutMs = options.retry?.timeoutMs ?? 10_000
  const worker = async (w: number): Promise<void> => {
    while (more()) {
      const n = pushes.length
      const content = `${options.content ?? 'load'} ${n}`
      const fields = messageFields({ type: 'text', fromUserName: `oLoadBalancer${String(w).padStart(15, '0')}`, content })
      const built = buildPush({
        appid: options.app.appid,
        token: options.app.token,
        encodingAESKey: options.app.encodingAESKey,
        mode: options.app.encodingAESKey === undefined ? 'plain' : 'safe',
        format: 'json',
        fields
      })
      const push: Push = { msgId: String(fields.MsgId), content, attempts: [], acknowledged: false }
      pushes.push(push)
      const target = `${options.url}/wechat/${options.app.appid}?${new URLSearchParams(built.query).toString()}`
      for (let i = 0; i < attempts && !push.acknowledged; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, options.retry!.delayMs))
        const outcome = await send(agent, target, built.body, built.contentType, timeoutMs)
        push.attempts.push(outcome)
        push.acknowledged = outcome === '200 success'
      }
      if (push.acknowledged) options.onAcknowledged?.(push)
      if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)))
  agent.destroy()
  return { pushes, ms: Date.now() - started }
}

/** Counts for the log: sent, acknowledged, retried, failed attempts. */
export function figures (pushes: Push[]): { sent: number, acknowledged: number, retried: number, failedAttempts: number, failed: string[] } {
  const failed = pushes.flatMap((p) => p.attempts.filter((a) => a !== '200 success'))
  return {
    sent: pushes.length,
    acknowledged: pushes.filter((p) => p.acknowledged).length,
    retried: pushes.filter((p) => p.attempts.length > 1).length,
    failedAttempts: failed.length,
    failed
  }
}
