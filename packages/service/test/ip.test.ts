import t from 'tap'
import { clientKey, isAddressOrCidr, isLoopbackHost } from '../src/index.js'

t.test('clientKey: IPv4 as is, IPv4-mapped IPv6 as its IPv4, other IPv6 as its /64', async (t) => {
  t.equal(clientKey('203.0.113.7'), '203.0.113.7')
  t.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7')
  t.equal(clientKey('::FFFF:cb00:7107'), '203.0.113.7', 'the hex spelling of a mapped address too')
  t.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
  t.equal(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64', 'leading zeros and case do not matter')
  t.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64')
  t.equal(clientKey('2001:db8:0:0:8000::1'), '2001:db8:0:0::/64')
  t.equal(clientKey('::1'), '0:0:0:0::/64')
  t.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64', 'a zone id is dropped')
  t.equal(clientKey('::ffff:0:1.2.3.4'), '0:0:0:0::/64', 'only ::ffff:0:0/96 is IPv4-mapped')
  t.equal(clientKey('64:ff9b::1.2.3.4'), '64:ff9b:0:0::/64')
  t.equal(clientKey('not an address'), 'not an address')
  const rotated = Array.from({ length: 50 }, (_, i) => clientKey(`2001:db8:aaaa:bbbb:${i.toString(16)}:${((i * 7919) & 0xffff).toString(16)}::${i}`))
  t.same(new Set(rotated), new Set(['2001:db8:aaaa:bbbb::/64']), 'addresses rotated inside one /64 share one key')
  t.not(clientKey('2001:db8:aaaa:bbbc::1'), clientKey('2001:db8:aaaa:bbbb::1'), 'the next /64 is another key')
})

t.test('isAddressOrCidr', async (t) => {
  for (const ok of ['10.0.0.2', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/8', '2001:db8::/128', '::ffff:10.0.0.1']) t.ok(isAddressOrCidr(ok), ok)
  for (const bad of ['', 'true', 'localhost', '10.0.0.0/33', '::/129', '10.0.0.1/', '10.0.0.0/8/8', '10.0.0.0/-1', '10.0.0.0/255.0.0.0', 'fe80::1%eth0', '300.1.1.1']) {
    t.notOk(isAddressOrCidr(bad), bad)
  }
})

t.test('isLoopbackHost: localhost, 127.0.0.0/8 and ::1 only', async (t) => {
  for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:7f00:1]']) t.ok(isLoopbackHost(host), host)
  for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'crm.example', 'localhost.example', 'foo.localhost', '127.0.0.1.nip.io', '']) t.notOk(isLoopbackHost(host), host)
})
