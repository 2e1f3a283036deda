// LiveReload alone, on the in-process bus: what a failed read leaves behind.
import t from 'tap'
import { createMemoryBus } from '@kefu/service'
import { within } from '@kefu/service/testing'
import { LiveReload } from '../src/live-reload.js'

/** Three more periodic checks from now. */
async function threeChecks (live: LiveReload): Promise<void> {
  const from = live.loadCounts.checks
  if (!await within(5000, () => live.loadCounts.checks >= from + 3)) throw new Error('not in time: three checks')
}

/** A LiveReload whose loads fail while `failing` is set, counting the full reads that succeeded. */
function reloader (fingerprint: () => string): { live: LiveReload, state: { failing: boolean, fullReads: number } } {
  const state = { failing: false, fullReads: 0 }
  const live = new LiveReload({
    bus: createMemoryBus(),
    channel: 'test:mini-programs',
    log: undefined,
    load: async (appid) => {
      if (state.failing) throw new Error('connection terminated')
      if (appid === undefined) state.fullReads++
    },
    readFingerprint: async () => fingerprint()
  })
  return { live, state }
}

t.test('a full read that fails leaves the next check to read every row again, although the fingerprint did not move', async (t) => {
  const { live, state } = reloader(() => 'f1')
  t.teardown(() => live.close())
  await live.reload()
  t.equal(state.fullReads, 1)
  state.failing = true
  await t.rejects(live.reload(), /connection terminated/)
  state.failing = false
  live.startChecks(20)
  t.ok(await within(5000, () => state.fullReads === 2), 'read again by the check')
  await threeChecks(live)
  t.equal(state.fullReads, 2, 'read again by the check, once; not again while the fingerprint stays')
})

t.test('a one-row reload that fails does the same', async (t) => {
  const { live, state } = reloader(() => 'f1')
  t.teardown(() => live.close())
  await live.reload()
  state.failing = true
  await t.rejects(live.reload('wx0000000000000001'), /connection terminated/)
  state.failing = false
  live.startChecks(20)
  t.ok(await within(5000, () => state.fullReads === 2), 'read again by the check')
  await threeChecks(live)
  t.equal(state.fullReads, 2)
})

t.test('checks read nothing more while the fingerprint stays, and every row when it moves', async (t) => {
  let print = 'f1'
  const { live, state } = reloader(() => print)
  t.teardown(() => live.close())
  await live.reload()
  live.startChecks(20)
  await threeChecks(live)
  t.equal(state.fullReads, 1)
  print = 'f2'
  t.ok(await within(5000, () => state.fullReads === 2), 'read when the fingerprint moved')
  await threeChecks(live)
  t.equal(state.fullReads, 2)
})
