// The console's live stream read as a browser's EventSource reads it: events parsed as they come, the `id:` of the
// last one kept, and when the stream ends or breaks, a new request after the `retry:` delay carrying
// `Last-Event-ID`, which is what makes the console send what was missed (apps/console/src/live/routes.ts). It stops
// reconnecting on `event: ended` or `event: replaced`, as the page does.
export interface StreamEvent { id?: string, event: string, data: string, at: number }
/** One request of the stream: when it was sent, when its answer came, who answered, the Last-Event-ID it carried. */
export interface Connection { at: number, openedAt?: number, status: number | string, server: string | null, lastEventId?: string }

export class EventStream {
  readonly events: StreamEvent[] = []
  readonly connections: Connection[] = []
  lastEventId: string | undefined
  private retryMs = 3000
  private closed = false
  private controller: AbortController | undefined
  private readonly loop: Promise<void>

  constructor (private readonly url: string, private readonly headers: () => Record<string, string>) {
    this.loop = this.run()
  }

  private async run (): Promise<void> {
    while (!this.closed) {
      this.controller = new AbortController()
      const connection: Connection = { at: Date.now(), status: 'pending', server: null, lastEventId: this.lastEventId }
      this.connections.push(connection)
      try {
        const res = await fetch(this.url, {
          headers: { accept: 'text/event-stream', ...this.headers(), ...(this.lastEventId === undefined ? {} : { 'last-event-id': this.lastEventId }) },
          signal: this.controller.signal
        })
        connection.status = res.status
        connection.openedAt = Date.now()
        connection.server = res.headers.get('x-kefu-server')
        if (res.status === 200 && res.body !== null) await this.read(res.body)
        else await res.arrayBuffer()
      } catch (err) {
        if (connection.status === 'pending') connection.status = (err as Error).message
      }
      if (this.closed || this.events.some((e) => e.event === 'ended' || e.event === 'replaced')) break
      await new Promise((resolve) => setTimeout(resolve, this.retryMs))
    }
  }

  private async read (body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done === true) return
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: StreamEvent = { event: 'message', data: '', at: Date.now() }
        let any = false
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':')
          const field = colon < 0 ? line : line.slice(0, colon)
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (field === 'retry' && /^\d+$/.test(text)) this.retryMs = Number(text)
          else if (field === 'id') { event.id = text; this.lastEventId = text; any = true } else if (field === 'event') { event.event = text; any = true } else if (field === 'data') { event.data += (event.data === '' ? '' : '\n') + text; any = true }
        }
        if (any) this.events.push(event)
      }
    }
  }

  /** Resolves once `check` holds, or rejects after `ms`. */
  async waitFor (what: string, check: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms
    while (!check()) {
      if (Date.now() > end) throw new Error(`live stream: ${what} not within ${ms} ms`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  async close (): Promise<void> {
    this.closed = true
    this.controller?.abort()
    await this.loop
  }
}
