import t from 'tap'
import Fastify from 'fastify'
import { ConfigError, readTrustProxy, trustProxyOption, type Env } from '../src/index.js'

t.test('TRUST_PROXY: a hop count or a list of proxy addresses; true is refused', async (t) => {
  t.equal(readTrustProxy({}), false)
  t.equal(readTrustProxy({ TRUST_PROXY: 'false' }), false)
  t.equal(readTrustProxy({ TRUST_PROXY: '2' }), 2)
  t.same(readTrustProxy({ TRUST_PROXY: '10.0.0.2, 192.168.0.0/16,fd00::/8 , ::1' }), ['10.0.0.2', '192.168.0.0/16', 'fd00::/8', '::1'])
  const bad: Array<[string, string]> = [
    ['true', "TRUST_PROXY=true would believe any client's X-Forwarded-For: set the number of proxies in front of kefu (e.g. 1) or their addresses (e.g. 10.0.0.2,fd00::/8)"],
    ['0', 'TRUST_PROXY must be between 1 and 20 proxy hops (or unset for none), got 0'],
    ['21', 'TRUST_PROXY must be between 1 and 20 proxy hops (or unset for none), got 21'],
    ['yes', 'TRUST_PROXY must be the number of proxies in front of kefu (e.g. 1) or their addresses (e.g. 10.0.0.2,fd00::/8); "yes" is neither'],
    ['10.0.0.2,loopback', 'TRUST_PROXY must be the number of proxies in front of kefu (e.g. 1) or their addresses (e.g. 10.0.0.2,fd00::/8); "loopback" is neither'],
    ['10.0.0.0/40', 'TRUST_PROXY must be the number of proxies in front of kefu (e.g. 1) or their addresses (e.g. 10.0.0.2,fd00::/8); "10.0.0.0/40" is neither'],
    ['10.0.0.2,', 'TRUST_PROXY must be the number of proxies in front of kefu (e.g. 1) or their addresses (e.g. 10.0.0.2,fd00::/8); "" is neither']
  ]
  for (const [raw, message] of bad) t.throws(() => readTrustProxy({ TRUST_PROXY: raw }), new ConfigError(message), raw)
})

/** A server configured from TRUST_PROXY that answers with the client IP and protocol it believes. */
async function server (t: Tap, env: Env): Promise<(remoteAddress: string, headers?: Record<string, string>) => Promise<{ ip: string, protocol: string }>> {
  const app = Fastify({ trustProxy: trustProxyOption(readTrustProxy(env)) })
  app.get('/', async (request) => ({ ip: request.ip, protocol: request.protocol }))
  t.teardown(() => app.close())
  return async (remoteAddress, headers = {}) => (await app.inject({ url: '/', remoteAddress, headers })).json()
}
interface Tap { teardown: (fn: () => unknown) => void }

const spoofed = { 'x-forwarded-for': '198.51.100.66, 203.0.113.7', 'x-forwarded-proto': 'https' }

t.test('without TRUST_PROXY, X-Forwarded-* are ignored', async (t) => {
  const ask = await server(t, {})
  t.same(await ask('192.0.2.1', spoofed), { ip: '192.0.2.1', protocol: 'http' })
})

t.test('a hop count believes exactly that many proxies', async (t) => {
  const one = await server(t, { TRUST_PROXY: '1' })
  t.same(await one('10.0.0.2', spoofed), { ip: '203.0.113.7', protocol: 'https' }, 'the address our proxy saw, not the one the client wrote')
  t.same(await one('10.0.0.2', {}), { ip: '10.0.0.2', protocol: 'http' })
  const two = await server(t, { TRUST_PROXY: '2' })
  t.same(await two('10.0.0.2', { 'x-forwarded-for': '198.51.100.66, 203.0.113.7, 10.0.0.9' }), { ip: '203.0.113.7', protocol: 'http' })
})

t.test('an address list believes only those proxies, IPv4 and IPv6', async (t) => {
  const ask = await server(t, { TRUST_PROXY: '10.0.0.0/24,fd00::/8' })
  t.same(await ask('10.0.0.2', spoofed), { ip: '203.0.113.7', protocol: 'https' })
  t.same(await ask('fd00::5', spoofed), { ip: '203.0.113.7', protocol: 'https' })
  t.same(await ask('::ffff:10.0.0.2', spoofed), { ip: '203.0.113.7', protocol: 'https' }, 'an IPv4 proxy seen on a dual-stack socket')
  t.same(await ask('192.0.2.1', spoofed), { ip: '192.0.2.1', protocol: 'http' }, 'a client that is not a listed proxy is taken at its address')
  t.same(await ask('2001:db8::1', spoofed), { ip: '2001:db8::1', protocol: 'http' })
  t.same(await ask('10.0.0.2', { 'x-forwarded-for': '203.0.113.7, 10.0.0.3' }), { ip: '203.0.113.7', protocol: 'http' }, 'a chain of listed proxies is walked back')
})
