// The search's plans against a reference: the conversation-by-conversation search (one customer; conversation filters,
// by time slices) and the "not deleted" check on a page's candidates only, each compared with a plain statement that
// finds the same messages without any of them (substring match, every row checked), page by page.
import t from 'tap'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { HistoryIndexer } from '@kefu/history'
import { search, UNSLICED_CONVERSATIONS, type SearchFilters } from './search.js'

const APP = 'wx_search_plans_a'
const OTHER = 'wx_search_plans_b'
const HOUR = 3600
/** Each conversation's messages, by age: within the last day, the last 7 days, the last 30 days, and older. */
const AGES = [2 * HOUR, 30 * HOUR, 4 * 24 * HOUR, 20 * 24 * HOUR, 100 * 24 * HOUR]
const CONVERSATIONS = 30
const VIP = 25

t.test('conversation by conversation, by time slices, and the deleted-message check: the same messages as a plain scan', async (t) => {
  t.ok(VIP > UNSLICED_CONVERSATIONS, 'the tag selects enough conversations for time slices')
  const db = await createTestDatabase('console_search_plans')
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: db.kind === 'embedded' ? 1 : 2 })
  t.teardown(() => prisma.$disconnect())

  const now = Math.floor(Date.now() / 1000)
  let n = 0
  for (let c = 0; c < CONVERSATIONS; c++) {
    const openid = `o_plan_${String(c).padStart(2, '0')}`
    for (const [i, age] of AGES.entries()) {
      // Every other message asks for a refund; two old ones complain.
      const text = ((i + c) % 2 === 0 ? '我要退款' : '你好，在吗') + ((c === 3 && i === 3) || (c === 5 && i === 4) ? '，我要投诉' : '')
      await prisma.$executeRaw`
        INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, msg_info, payload, format, wechat_create_time)
        VALUES (${APP}, ${`m:${++n}`}, ${openid}, 'gh_plans', ${openid}, 'text', ${JSON.stringify({ text })}, '{}', 'json', ${now - age - c})`
    }
    await prisma.$executeRaw`
      INSERT INTO conversation (app_id, openid, last_message_id, last_message_at, last_inbound_at, unread_count, tags, status)
      VALUES (${APP}, ${openid}, (SELECT max(id) FROM customer_message WHERE app_id = ${APP} AND openid = ${openid}),
              to_timestamp(${now - 2 * HOUR - c}), to_timestamp(${now - 2 * HOUR - c}), 0,
              ${c < VIP ? ['vip'] : []}::text[], ${c % 2 === 0 ? 'resolved' : 'open'})`
  }
  // Another mini program's customer with the same openid: never in APP's results.
  await prisma.$executeRaw`
    INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, msg_info, payload, format, wechat_create_time)
    VALUES (${OTHER}, 'm:other', 'o_plan_07', 'gh_plans', 'o_plan_07', 'text', '{"text":"我要退款"}', '{}', 'json', ${now - 60})`
  await prisma.$executeRaw`INSERT INTO conversation (app_id, openid, last_message_id, last_message_at, unread_count, tags)
    SELECT app_id, openid, id, now(), 0, ARRAY['vip'] FROM customer_message WHERE dedupe_key = 'm:other'`
  const indexer = new HistoryIndexer(prisma, { catchUpLagMs: 0 })
  while ((await indexer.catchUp()).rows > 0);

  /** The reference: every row of message_search checked, no index, no slices, no candidates. */
  async function expected (f: Omit<SearchFilters, 'limit'>, term: string): Promise<string[]> {
    const rows = await prisma.$queryRawUnsafe<Array<{ key: string }>>(
      `SELECT s.direction || '-' || s.message_id AS key FROM message_search s
       LEFT JOIN customer_message m ON s.direction = 'in' AND m.id = s.message_id
       JOIN conversation c ON c.app_id = s.app_id AND c.openid = s.openid
       WHERE s.app_id = ANY($1::text[]) AND strpos(s.body, $2) > 0 AND m.delete_time IS NULL
         AND ($3::text IS NULL OR s.openid = $3) AND ($4::text IS NULL OR c.tags @> ARRAY[$4]) AND ($5::text IS NULL OR c.status = $5)
         AND ($6::timestamptz IS NULL OR s.at >= $6)
       ORDER BY s.at DESC, s.direction DESC, s.message_id DESC`,
      f.apps, term, f.openid ?? null, f.tag ?? null, f.status ?? null, f.from === undefined ? null : new Date(f.from))
    return rows.map((r) => r.key)
  }
  /** Every page of the search, `limit` at a time, and the first page's plan. */
  async function pages (f: Omit<SearchFilters, 'limit'>, limit: number): Promise<{ keys: string[], first: Awaited<ReturnType<typeof search>> }> {
    const first = await search(prisma, { ...f, limit })
    const keys = first.hits.map((h) => h.item.key)
    for (let page = first; page.next !== null;) {
      page = await search(prisma, { ...f, limit, after: page.next })
      keys.push(...page.hits.map((h) => h.item.key))
      if (keys.length > 200) {
        t.fail('the pages never end')
        break
      }
    }
    return { keys, first }
  }

  const vip = { apps: [APP], text: '退款', tag: 'vip' }
  const newest = await search(prisma, { ...vip, limit: 5 })
  t.match(newest, { phase: 'conversations', withinDays: 1 }, 'a page within the last day: the day\'s slice answers')
  t.same(newest.hits.map((h) => h.item.key), (await expected(vip, '退款')).slice(0, 5))
  const week = await search(prisma, { ...vip, limit: 20 })
  t.match(week, { phase: 'conversations', withinDays: 7 }, 'a bigger page: the last 7 days')
  t.same(week.hits.map((h) => h.item.key), (await expected(vip, '退款')).slice(0, 20))
  const rare = await search(prisma, { apps: [APP], text: '投诉', tag: 'vip', limit: 20 })
  t.match(rare, { phase: 'conversations', withinDays: null }, 'a rare term: the whole history')
  t.same(rare.hits.map((h) => h.item.key), await expected({ apps: [APP], tag: 'vip' }, '投诉'))
  t.equal(rare.hits.length, 2, 'both complaints, 20 and 100 days old')

  const customer = { apps: [APP, OTHER], text: '退款', openid: 'o_plan_07' }
  const one = await search(prisma, { ...customer, limit: 20 })
  t.match(one, { phase: 'conversations', withinDays: null }, 'one customer: no slices')
  t.same(one.hits.map((h) => h.item.key), await expected(customer, '退款'), 'both mini programs\' customers with that openid')

  for (const [what, f] of [
    ['tag vip', vip],
    ['tag vip, resolved', { ...vip, status: 'resolved' }],
    ['tag vip, from 3 days ago', { ...vip, from: (now - 3 * 24 * HOUR) * 1000 }],
    ['one customer', customer],
    ['status open (no conversation matches the tag too)', { apps: [APP], text: '退款', tag: 'nobody', status: 'open' }]
  ] as Array<[string, Omit<SearchFilters, 'limit'>]>) {
    const { keys } = await pages(f, 4)
    t.same(keys, await expected(f, f.text!), `${what}: every page, 4 at a time, is the reference`)
  }

  // Deleted messages (delete_time) are gone at once, however many of a page's candidates they are.
  const ref = await expected(vip, '退款')
  const gone = ref.slice(0, 12).map((k) => BigInt(k.slice(3)))
  await prisma.$executeRaw`UPDATE customer_message SET delete_time = now() WHERE id = ANY(${gone}::bigint[])`
  const after = await expected(vip, '退款')
  t.equal(after.length, ref.length - 12)
  for (const limit of [20, 4]) {
    const got = await pages(vip, limit)
    t.same(got.keys, after, `12 of the newest deleted, ${limit} a page: none of them, nothing else missing`)
  }
  const all = { apps: [APP], text: '退款', recentWindow: 2 }
  const indexPhase = await search(prisma, { ...all, limit: 20 })
  t.equal(indexPhase.phase, 'index')
  t.same(indexPhase.hits.map((h) => h.item.key), (await expected(all, '退款')).slice(0, 20), 'through the index too')
})
