import net from 'node:net'

/** The eight 16-bit groups of an IPv6 address (already checked with net.isIPv6, zone id removed). */
function ipv6Groups (address: string): number[] {
  let text = address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = text.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16)
  }
  const parse = (part: string): number[] => part === '' ? [] : part.split(':').map((g) => parseInt(g, 16))
  const [head = '', tail] = text.split('::')
  const front = parse(head)
  const back = tail === undefined ? [] : parse(tail)
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back]
}

/**
 * The key a per-client limit counts under: an IPv4 address as it is, an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`)
 * as its IPv4, any other IPv6 address as its /64. One subscriber is routinely given a whole /64 (RFC 6177), so
 * counting single IPv6 addresses would hand one attacker 2^64 budgets. Anything that is not an IP address is
 * returned unchanged.
 */
export function clientKey (ip: string): string {
  const address = ip.replace(/%.*$/, '')
  if (net.isIPv4(address)) return address
  if (!net.isIPv6(address)) return ip
  const g = ipv6Groups(address)
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.')
  }
  return g.slice(0, 4).map((x) => x.toString(16)).join(':') + '::/64'
}

/** An IPv4 or IPv6 address, optionally with a /prefix length (a CIDR block), as proxy lists are written. */
export function isAddressOrCidr (value: string): boolean {
  const [address = '', prefix, extra] = value.split('/')
  if (extra !== undefined || address.includes('%')) return false
  const family = net.isIP(address)
  if (family === 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

/**
 * A loopback host: `localhost`, 127.0.0.0/8, `::1` or an IPv4-mapped 127.x address (`[brackets]` allowed). Only this
 * machine reaches it, so nothing sent there crosses a network.
 */
export function isLoopbackHost (host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '').replace(/\.$/, '')
  if (name === 'localhost') return true
  if (net.isIPv4(name)) return name.startsWith('127.')
  if (!net.isIPv6(name)) return false
  const g = ipv6Groups(name)
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true
  return g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff && g[6]! >> 8 === 127
}
