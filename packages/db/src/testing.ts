import crypto from 'node:crypto'
import net from 'node:net'
import pg from 'pg'
import { startEmbeddedPostgres } from './embedded.js'
import { migrate } from './migrate.js'

export interface TestDatabase {
  /** URL of a fresh, migrated database that belongs to this test file alone. */
  url: string
  /** 'postgres' when DATABASE_URL points at a real server, 'embedded' otherwise. */
  kind: 'postgres' | 'embedded'
  /** Pool size the database takes (embedded PostgreSQL is single-connection). */
  poolMax: number
  drop: () => Promise<void>
}

/**
 * A database of its own for one test file: a new database on the server at DATABASE_URL (dropped afterwards), or an
 * in-memory embedded PostgreSQL when DATABASE_URL is unset. Migrated with the committed migrations unless told not to.
 */
export async function createTestDatabase (label: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const admin = process.env.DATABASE_URL
  if (admin === undefined || admin === '') {
    const server = await startEmbeddedPostgres()
    if (options.migrate !== false) await migrate(server.url)
    return { url: server.url, kind: 'embedded', poolMax: 1, drop: () => server.close() }
  }
  const name = `kefu_t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30)}_${crypto.randomBytes(4).toString('hex')}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(admin)
  url.pathname = '/' + name
  if (options.migrate !== false) await migrate(url.toString())
  return {
    url: url.toString(),
    kind: 'postgres',
    poolMax: 5,
    async drop () {
      const c = new pg.Client({ connectionString: admin })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await c.end()
      }
    }
  }
}

export interface TcpProxy {
  /** The target's URL with host and port replaced by the proxy's. */
  url: string
  port: number
  /** Cuts every open connection and refuses new ones, as if the server had died. */
  cut: () => void
  /** Accepts connections again. */
  restore: () => void
  close: () => Promise<void>
}

/** A loopback TCP proxy in front of a database (or Redis) URL, to take the server away mid-test and bring it back. */
export async function createTcpProxy (targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl)
  const targetPort = Number(target.port || 5432)
  const sockets = new Set<net.Socket>()
  let up = true
  const server = net.createServer((client) => {
    if (!up) { client.destroy(); return }
    const upstream = net.connect(targetPort, target.hostname)
    sockets.add(client)
    sockets.add(upstream)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const url = new URL(targetUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    port,
    cut () {
      up = false
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    restore () { up = true },
    close () {
      up = false
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  }
}
