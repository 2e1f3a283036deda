import { once } from 'node:events'
import net from 'node:net'

/**
 * How a cut looks to clients: `refuse`, the server is gone (new connections are refused: ECONNREFUSED); `reset`, the
 * host is there but the server drops every connection at once (connection reset or closed unexpectedly).
 * Either way, every open connection is cut.
 */
export type CutMode = 'refuse' | 'reset'

export interface TcpProxy {
  /** The target's URL with host and port replaced by the proxy's (credentials, database and path kept). */
  url: string
  port: number
  cut: (mode?: CutMode) => Promise<void>
  /** Accepts and forwards connections again, on the same port. */
  restore: () => Promise<void>
  close: () => Promise<void>
}

/** A loopback TCP proxy in front of a server's URL (PostgreSQL, Redis), to take the server away mid-test and back. */
export async function createTcpProxy (targetUrl: string, defaultPort = 0): Promise<TcpProxy> {
  const target = new URL(targetUrl)
  const targetPort = Number(target.port !== '' ? target.port : defaultPort || (target.protocol.startsWith('redis') ? 6379 : 5432))
  const sockets = new Set<net.Socket>()
  let forwarding = true
  let server: net.Server | undefined

  function accept (client: net.Socket): void {
    if (!forwarding) { client.destroy(); return }
    const upstream = net.connect(targetPort, target.hostname)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    sockets.add(client)
    sockets.add(upstream)
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  }
  async function listen (port: number): Promise<number> {
    const s = net.createServer(accept)
    s.listen(port, '127.0.0.1')
    await once(s, 'listening')
    server = s
    return (s.address() as net.AddressInfo).port
  }
  async function stopListening (): Promise<void> {
    const s = server
    server = undefined
    if (s === undefined) return
    const closed = once(s, 'close')
    s.close()
    await closed
  }
  function dropAll (): void {
    for (const s of sockets) s.destroy()
    sockets.clear()
  }

  const port = await listen(0)
  const url = new URL(targetUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    port,
    async cut (mode = 'reset') {
      forwarding = false
      if (mode === 'refuse') {
        const stopped = stopListening()
        dropAll()
        await stopped
      } else {
        dropAll()
      }
    },
    async restore () {
      if (server === undefined) await listen(port)
      forwarding = true
    },
    async close () {
      forwarding = false
      const stopped = stopListening()
      dropAll()
      await stopped
    }
  }
}
