// "WeChat does not know this media_id", remembered for a bounded time and, in memory, a bounded number of entries.
import t from 'tap'
import { createMemoryUnknownMedia, UNKNOWN_MEDIA_TTL_MS } from '../src/media-misses.js'

const APP = 'wxc0501e0000000001'

t.test('in memory: forgotten after the lifetime; the oldest entry leaves when it is full', async (t) => {
  let now = 1_000_000
  const misses = createMemoryUnknownMedia(UNKNOWN_MEDIA_TTL_MS, () => now, 3)
  t.equal(await misses.get(APP, 'm1'), null)
  await misses.remember(APP, 'm1', 'unknown (40007)')
  now += UNKNOWN_MEDIA_TTL_MS - 1
  t.equal(await misses.get(APP, 'm1'), 'unknown (40007)', 'remembered for its lifetime')
  now += 1
  t.equal(await misses.get(APP, 'm1'), null, 'then forgotten')
  for (const id of ['a', 'b', 'c', 'd']) await misses.remember(APP, id, id)
  t.same(await Promise.all(['a', 'b', 'c', 'd'].map(async (id) => await misses.get(APP, id))), [null, 'b', 'c', 'd'], 'at most 3 entries: the first one left')
  t.equal(await misses.get('wxc0501e0000000002', 'b'), null, 'per mini program')
})
