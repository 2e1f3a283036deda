// The launcher tests' ports: a BASE_PORT below the range the kernel hands to outgoing connections, never on a port
// this machine's services hold; and a start whose ports were taken between the check and the bind starts again.
import t from 'tap'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { freeBasePort, launch } from './helper.js'

const RESERVED = [1883, 3306, 4222, 5432, 5672, 6222, 6379, 8222, 15672, 25672]

function ephemeral (): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    return [low!, high!]
  } catch {
    return [49_152, 65_535]
  }
}

t.test('every base leaves its eleven ports outside the ephemeral range and off the reserved ports', async (t) => {
  const [low, high] = ephemeral()
  const bases = new Set<number>()
  for (let i = 0; i < 200; i++) bases.add(await freeBasePort())
  const outside = [...bases].filter((b) => b + 10 < low || b > high)
  t.equal(outside.length, bases.size, `${bases.size - outside.length} of ${bases.size} bases reach into ${low}–${high}`)
  t.same([...bases].filter((b) => RESERVED.some((p) => p >= b && p < b + 11)), [], 'none holds a reserved port')
  t.ok(bases.size > 150, `spread out (${bases.size} different bases in 200)`)
})

t.test('a port taken after the check: the launcher stops with EADDRINUSE and starts again on other ports', async (t) => {
  const taken = await freeBasePort()
  // Another process's server takes the B site's port (BASE_PORT + 2) before the launcher binds it.
  const squatter = net.createServer()
  await new Promise<void>((resolve) => squatter.listen({ port: taken + 2, host: '127.0.0.1', exclusive: true }, resolve))
  t.teardown(() => new Promise<void>((resolve) => { squatter.close(() => { resolve() }) }))
  const kefu = await launch(t, { DATA_DIR: t.testdir({}) }, { firstBase: taken })
  t.not(kefu.base, taken, 'running on another BASE_PORT')
  t.match(kefu.stdout(), `${kefu.url(2)}/`, 'the banner shows the ports it got')
  const res = await fetch(kefu.url(2) + '/', { headers: { accept: 'text/html' } })
  await res.arrayBuffer()
  t.equal(res.status, 200, 'the B site answers there')
})
