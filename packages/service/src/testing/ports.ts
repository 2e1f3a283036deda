import { readFileSync } from 'node:fs'
import net from 'node:net'

/** Ports this machine's own services hold (docs/SPEC.md): never a test's. */
export const RESERVED_PORTS: ReadonlySet<number> = new Set([1883, 3306, 4222, 5432, 5672, 6222, 6379, 8222, 15672, 25672])

/** Whether a port of 127.0.0.1 can be bound now (it is bound exclusively for a moment, then let go). */
export function portFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => { resolve(false) })
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => { server.close(() => { resolve(true) }) })
  })
}

/**
 * The lowest port the kernel picks for outgoing connections (Linux: ip_local_port_range), or undefined where that
 * cannot be read. A port below it cannot be taken by some client socket between a check and a bind.
 */
export function ephemeralPortLow (): number | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(low) && low > 0) return low
  } catch {}
  return undefined
}
