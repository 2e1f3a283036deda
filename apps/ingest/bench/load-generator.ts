// The ingest benchmark's load generator, a process of its own (forked by ingest.bench.ts) so that it never shares the
// measured server's event loop. It signs the pushes before any timing starts and keeps them as ready HTTP/1.1
// requests; while measuring it only writes those bytes and reads answers on keep-alive connections, which costs a
// few microseconds a request (autocannon costs several times that, CPU the server under test would not get on two
// cores), and it knows which push each answer is for, so acknowledged pushes can be checked against stored rows.
//
// Commands over IPC, each answered with one message:
//   { op: 'sign', count, base, app | apps, customers }   → { op: 'signed', count, ms }
//     (push i goes to apps[i % apps], from customer i % customers, default 1,000)
//   { op: 'run', port, mode, from, limit, ... }          → { op: 'result', ... } (see RunResult)
//     mode 'closed': `connections` connections, each sends its next push when the last one was answered;
//     mode 'rate':   a push every 1/`rate` s whatever the answers (on the 1 ms timer; latency from each write);
//     mode 'serial': one push at a time on one connection.
//   Every mode stops after `durationMs` or `limit` pushes, whichever comes first.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { buildPush, messageFields } from '@kefu/wechat-crypto'
import { percentile } from './percentile.js'

interface BenchApp { appid: string, token: string, encodingAESKey: string }
interface SignCommand { op: 'sign', count: number, base: string, app?: BenchApp, apps?: BenchApp[], customers?: number }
export interface RunCommand {
  op: 'run'
  port: number
  mode: 'closed' | 'rate' | 'serial'
  /** First push index; each push is sent once unless `cycle` (a target that stores nothing). */
  from: number
  limit: number
  durationMs: number
  connections?: number
  rate?: number
  cycle?: boolean
  /** Return the indices of the pushes answered `200 success`. */
  track?: boolean
}
export interface RunResult {
  op: 'result'
  sent: number
  answered: number
  success: number
  non2xx: number
  errors: number
  seconds: number
  rps: number
  p50: number
  p99: number
  max: number
  /** Mode 'rate': how late the sends were against their schedule, 99th percentile (ms). */
  sendLagP99: number
  next: number
  acked?: number[]
  firstError?: string
}

/**
 * The signed requests, kept in a few large slabs rather than one Buffer each: hundreds of thousands of small objects
 * would make this process's own garbage collections long, and every pause here would count as server latency.
 */
class Requests {
  readonly #slabs: Buffer[] = []
  readonly #index: Uint32Array
  #slab = Buffer.allocUnsafe(0)
  #used = 0
  length = 0

  constructor (capacity: number) {
    this.#index = new Uint32Array(capacity * 3)
  }

  push (request: Buffer): void {
    if (this.#used + request.length > this.#slab.length) {
      this.#slab = Buffer.allocUnsafe(Math.max(16 * 1024 * 1024, request.length))
      this.#slabs.push(this.#slab)
      this.#used = 0
    }
    request.copy(this.#slab, this.#used)
    const i = this.length++ * 3
    this.#index[i] = this.#slabs.length - 1
    this.#index[i + 1] = this.#used
    this.#index[i + 2] = request.length
    this.#used += request.length
  }

  get (n: number): Buffer {
    const i = n * 3
    const start = this.#index[i + 1]!
    return this.#slabs[this.#index[i]!]!.subarray(start, start + this.#index[i + 2]!)
  }
}

let requests = new Requests(0)

function sign (cmd: SignCommand): void {
  const base = BigInt(cmd.base)
  const apps = cmd.apps ?? [cmd.app!]
  const customers = cmd.customers ?? 1000
  requests = new Requests(cmd.count)
  for (let i = 0; i < cmd.count; i++) {
    const app = apps[i % apps.length]!
    const built = buildPush({
      ...app,
      mode: 'safe',
      format: i % 2 === 0 ? 'json' : 'xml',
      fields: messageFields({ type: 'text', fromUserName: `o_bench_${i % customers}`, msgId: base + BigInt(i), content: `第 ${i} 条消息：你好，请问订单什么时候发货？` })
    })
    const path = `/wechat/${app.appid}?${new URLSearchParams(built.query).toString()}`
    const body = Buffer.from(built.body)
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${built.contentType}\r\nContent-Length: ${body.length}\r\n\r\n`
    requests.push(Buffer.concat([Buffer.from(head, 'latin1'), body]))
  }
}

const HEADER_END = Buffer.from('\r\n\r\n')
const SUCCESS = Buffer.from('success')

/** One keep-alive connection that sends a request and calls back with the status and whether the body said success. */
class Connection {
  readonly socket: net.Socket
  #buffer: Buffer = Buffer.alloc(0)
  #onAnswer: ((status: number, success: boolean) => void) | undefined

  constructor (port: number, onError: (err: Error) => void) {
    this.socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
    this.socket.on('data', (chunk: Buffer) => { this.#read(chunk) })
    this.socket.on('error', onError)
  }

  send (request: Buffer, onAnswer: (status: number, success: boolean) => void): void {
    this.#onAnswer = onAnswer
    this.socket.write(request)
  }

  #read (chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    for (;;) {
      const end = this.#buffer.indexOf(HEADER_END)
      if (end === -1) return
      const head = this.#buffer.toString('latin1', 0, end)
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)
      if (length === null) throw new Error(`answer without content-length: ${head.slice(0, 200)}`)
      const total = end + 4 + Number(length[1])
      if (this.#buffer.length < total) return
      const body = this.#buffer.subarray(end + 4, total)
      this.#buffer = this.#buffer.subarray(total)
      const callback = this.#onAnswer
      this.#onAnswer = undefined
      callback?.(Number(head.slice(9, 12)), body.equals(SUCCESS))
    }
  }
}

async function run (cmd: RunCommand): Promise<RunResult> {
  const limit = cmd.cycle === true ? cmd.limit : Math.min(cmd.limit, requests.length - cmd.from)
  const latencies: number[] = []
  let lagsOf: number[] = []
  const acked: number[] = []
  const tally = { sent: 0, answered: 0, success: 0, non2xx: 0, errors: 0 }
  let firstError: string | undefined
  const start = performance.now()
  const deadline = start + cmd.durationMs
  const connections: Connection[] = []
  let finish: () => void = () => {}
  const finished = new Promise<void>((resolve) => { finish = resolve })
  const onError = (err: Error): void => {
    tally.errors++
    firstError ??= err.message
  }
  const open = (): Connection => {
    const c = new Connection(cmd.port, onError)
    connections.push(c)
    return c
  }
  const nextIndex = (): number | undefined => {
    if (tally.sent >= limit || performance.now() >= deadline) return undefined
    const index = cmd.cycle === true ? (cmd.from + tally.sent) % requests.length : cmd.from + tally.sent
    tally.sent++
    return index
  }
  const record = (index: number, due: number, status: number, ok: boolean): void => {
    latencies.push(performance.now() - due)
    tally.answered++
    if (status >= 200 && status < 300) {
      if (ok) {
        tally.success++
        if (cmd.track === true) acked.push(index)
      }
    } else {
      tally.non2xx++
      if (firstError === undefined) firstError = `HTTP ${status}`
    }
  }
  const settledIfDone = (): void => {
    if (tally.answered + tally.errors >= tally.sent && (tally.sent >= limit || performance.now() >= deadline)) finish()
  }

  if (cmd.mode === 'closed' || cmd.mode === 'serial') {
    const count = cmd.mode === 'serial' ? 1 : (cmd.connections ?? 50)
    let active = count
    const loop = (c: Connection, state: { busy: boolean, done: boolean }): void => {
      const index = nextIndex()
      if (index === undefined) {
        state.done = true
        if (--active === 0) finish()
        return
      }
      const due = performance.now()
      state.busy = true
      c.send(requests.get(index), (status, ok) => {
        state.busy = false
        record(index, due, status, ok)
        loop(c, state)
      })
    }
    for (let i = 0; i < count; i++) {
      const c = open()
      const state = { busy: false, done: false }
      c.socket.once('connect', () => { loop(c, state) })
      c.socket.once('close', () => {
        if (state.done) return
        state.done = true
        if (state.busy) onError(new Error('connection closed with a request in flight'))
        if (--active === 0) finish()
      })
    }
  } else {
    // Open loop: pushes are due at fixed intervals; an idle connection takes the next due push, or a new one opens.
    const rate = cmd.rate ?? 1000
    const idle: Connection[] = []
    const waiting: Array<{ index: number, due: number }> = []
    const lags: number[] = []
    lagsOf = lags
    const dispatch = (c: Connection): void => {
      const job = waiting.shift()
      if (job === undefined) {
        idle.push(c)
        settledIfDone()
        return
      }
      // Latency counts from the write, not from when the push was due: the 1 ms timer that paces the sends is the
      // generator's lateness, not the server's. How late the sends were is reported beside it (sendLag).
      const sentAt = performance.now()
      lags.push(sentAt - job.due)
      c.send(requests.get(job.index), (status, ok) => {
        record(job.index, sentAt, status, ok)
        dispatch(c)
      })
    }
    const tick = (): void => {
      const now = performance.now()
      const due = Math.min(limit, Math.floor((Math.min(now, deadline) - start) * rate / 1000))
      while (tally.sent < due) {
        const index = cmd.from + tally.sent
        waiting.push({ index, due: start + tally.sent * 1000 / rate })
        tally.sent++
        const c = idle.pop()
        if (c !== undefined) dispatch(c)
        else if (connections.length < 256) {
          const fresh = open()
          fresh.socket.once('connect', () => { dispatch(fresh) })
        }
      }
      if (now < deadline && tally.sent < limit) setTimeout(tick, 1)
      else settledIfDone()
    }
    tick()
  }
  // Bounded whatever the server does: answers still missing this long after the end count as not answered.
  const stop = setTimeout(finish, cmd.durationMs + 15_000)
  await finished
  clearTimeout(stop)
  const seconds = (performance.now() - start) / 1000
  for (const c of connections) c.socket.destroy()
  const sorted = Float64Array.from(latencies).sort()
  const sortedLags = Float64Array.from(lagsOf).sort()
  return {
    op: 'result',
    ...tally,
    seconds,
    rps: tally.answered / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
    sendLagP99: percentile(sortedLags, 0.99),
    next: cmd.from + tally.sent,
    ...(cmd.track === true ? { acked } : {}),
    ...(firstError !== undefined ? { firstError } : {})
  }
}

process.on('message', (msg: SignCommand | RunCommand) => {
  if (msg.op === 'sign') {
    const t0 = performance.now()
    sign(msg)
    process.send!({ op: 'signed', count: requests.length, ms: performance.now() - t0 })
  } else if (msg.op === 'run') {
    run(msg).then((result) => process.send!(result), (err: Error) => process.send!({ op: 'failed', error: err.message }))
  }
})
process.send!({ op: 'ready' })
