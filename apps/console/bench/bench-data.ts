// What the history benches share (search.bench.ts, reports.bench.ts): the generated messages, replies and
// resolutions, the search index over them, the typical searches, and the printing.
import type { PrismaClient } from '@kefu/db'
import { HistoryIndexer } from '@kefu/history'
import { search, type SearchFilters } from '../src/search/index.js'

export const APPS = Array.from({ length: 5 }, (_, i) => `wxb${String(i).padStart(15, '0')}`)
export const DAYS = 90

export const pct = (xs: number[], q: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! }
export const ms = (x: number): string => `${x.toFixed(1)} ms`
export const line = (s: string): void => { process.stdout.write(s + '\n') }

/** Exits (2) with one line when DATABASE_URL is not set: these benches need a real PostgreSQL. */
export function requireDatabase (script: string): void {
  if (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') {
    process.stderr.write(`${script} needs DATABASE_URL (a PostgreSQL server, loopback): DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test pnpm ${script}\n`)
    process.exit(2)
  }
}

/**
 * `n` customer messages over the last `days` days (5 mini programs, 50,000 customers, sessions of five messages 40 s
 * apart), replies to most sessions (2 % refused by WeChat's window), half of them resolved, their conversations; then
 * ANALYZE. The monthly partitions of customer_message for those days are created first, as partition upkeep would
 * have made them month by month (else the past months' rows would all sit in the default partition). Resolves with
 * the seconds it took.
 */
export async function loadMessages (prisma: PrismaClient, n: number, days: number = DAYS): Promise<number> {
  const t0 = performance.now()
  await prisma.$queryRawUnsafe(`SELECT customer_message_create_partition((date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => i))::date)
    FROM generate_series(1, ${Math.ceil(days / 28) + 1}) i`)
  await prisma.$executeRawUnsafe(`
    WITH p AS (SELECT
      ARRAY['你好，请问在吗','我要退款','订单还没发货，什么时候发货？','退款什么时候到账','收到的商品有破损，怎么处理','请问可以开发票吗','我想修改收货地址',
            '谢谢，问题解决了','优惠券用不了','会员积分怎么兑换','快递显示已签收但是我没收到','申请退款后多久处理','尺码不合适想换货','Hello, is anyone there?',
            'I want a refund for my order','When will my package ship?','The coupon code does not work','怎么联系人工客服','支付失败了，钱扣了','好的','嗯嗯','在吗',
            '发错货了','物流信息一直不更新','可以便宜一点吗','这个有现货吗','什么时候补货','能不能加急发货','退货地址是哪里','已经寄回了，单号在这里',
            '颜色和图片不一样','能开专票吗','换货要多久','客服你好，我的包裹丢了','Can I change the size?','Where is my invoice?'] AS a,
      ARRAY['连衣裙','手机壳','蓝牙耳机','保温杯','运动鞋','充电宝','面霜','T恤','双肩包','台灯','数据线','牛仔裤','洗发水','咖啡豆','猫粮','键盘','rice cooker','yoga mat','',''] AS b)
    INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, msg_info, payload, format, wechat_create_time, create_time)
    SELECT 'wxb' || lpad((c % 5)::text, 15, '0'), 'm:' || g, 'o' || md5(c::text), 'gh_bench', 'o' || md5(c::text), 'text',
           json_build_object('text', a[1 + abs(hashtext('p' || g)) % array_length(a, 1)] || ' ' || b[1 + abs(hashtext('b' || g)) % array_length(b, 1)]
             || CASE WHEN abs(hashtext('c' || g)) % 1000 = 0 THEN ' 我要投诉' ELSE '' END
             || CASE WHEN abs(hashtext('o' || g)) % 10 = 0 THEN ' 订单号 DD' || lpad((abs(hashtext('n' || g))::bigint * 99991 % 1000000000000)::text, 12, '0') ELSE '' END)::text,
           '{}', 'json', t0 + (g % 5) * 40, now()
    FROM p, generate_series(0, ${n} - 1) g,
    -- Five messages a session, 40 s apart; a session's customer and start drawn from its number.
    LATERAL (SELECT abs(hashtext('u' || (g / 5))) % 50000 AS c, extract(epoch FROM now())::bigint - 600 - abs(hashtext('t' || (g / 5))) % (${days} * 86400) AS t0) x`)
  // Most sessions get a reply (2 % refused by WeChat's window), half are resolved.
  await prisma.$executeRawUnsafe(`
    INSERT INTO outbound_message (app_id, openid, msg_type, content, status, errcode, agent, created_at)
    SELECT app_id, openid, 'text', '{"msgtype":"text","text":{"content":"您好，已为您处理退款，请留意到账"}}',
           CASE WHEN h % 50 = 0 THEN 'failed' ELSE 'sent' END, CASE WHEN h % 50 = 0 THEN 45015 END,
           'agent' || (h % 10), to_timestamp(wechat_create_time + 20 + h % 1800)
    FROM customer_message, LATERAL (SELECT abs(hashtext('r' || id)) AS h) x WHERE (substr(dedupe_key, 3)::bigint) % 5 = 0 AND h % 10 < 8`)
  await prisma.$executeRawUnsafe(`
    INSERT INTO conversation_activity (app_id, openid, kind, cause, actor, from_value, to_value, created_at)
    SELECT app_id, openid, 'status', 'agent', 'agent' || (h % 10), 'open', 'resolved', to_timestamp(wechat_create_time + 3600 + h % 3600)
    FROM customer_message, LATERAL (SELECT abs(hashtext('s' || id)) AS h) x WHERE (substr(dedupe_key, 3)::bigint) % 5 = 0 AND h % 2 = 0`)
  await prisma.$executeRawUnsafe(`
    INSERT INTO conversation (app_id, openid, last_message_id, last_message_at, last_inbound_at, unread_count, tags, status, assignee)
    SELECT app_id, openid, max(id), to_timestamp(max(wechat_create_time)), to_timestamp(max(wechat_create_time)), 0,
           CASE WHEN hashtext(openid) % 20 = 0 THEN ARRAY['vip'] ELSE ARRAY[]::text[] END,
           CASE WHEN hashtext(openid) % 3 = 0 THEN 'resolved' ELSE 'open' END,
           CASE WHEN hashtext(openid) % 4 = 0 THEN 'agent' || abs(hashtext(openid) % 10) END
    FROM customer_message GROUP BY app_id, openid`)
  await prisma.$executeRawUnsafe('ANALYZE')
  return (performance.now() - t0) / 1000
}

/** Indexes everything with the history worker's catch-up path (as on a database that had messages before kefu kept
 *  an index); resolves with the rows indexed and the seconds it took. */
export async function indexAll (prisma: PrismaClient): Promise<{ rows: number, secs: number }> {
  const t0 = performance.now()
  const indexer = new HistoryIndexer(prisma, { catchUpLagMs: 0, batch: 10_000 })
  for (;;) {
    const pass = await indexer.catchUp()
    if (pass.rows === 0) break
  }
  await prisma.$executeRawUnsafe('ANALYZE message_search')
  const rows = Number((await prisma.$queryRawUnsafe<Array<{ n: bigint }>>('SELECT count(*) AS n FROM message_search'))[0]!.n)
  return { rows, secs: (performance.now() - t0) / 1000 }
}

export type TypicalSearch = [string, (i: number) => Omit<SearchFilters, 'limit'>]

/** The 13 typical searches (common and rare words, a phrase, part of an order number, English, one customer, …). */
export async function typicalSearches (prisma: PrismaClient): Promise<{ searches: TypicalSearch[], orders: string[] }> {
  const orders = (await prisma.$queryRawUnsafe<Array<{ body: string }>>("SELECT body FROM message_search WHERE body LIKE '%订单号 dd%' ORDER BY message_id DESC LIMIT 50")).map((r) => /dd(\d{12})/.exec(r.body)![1]!)
  const openids = (await prisma.$queryRawUnsafe<Array<{ openid: string }>>('SELECT openid FROM conversation ORDER BY last_message_at DESC LIMIT 50')).map((r) => r.openid)
  const week = Date.now() - 7 * 86_400_000
  const searches: TypicalSearch[] = [
    ['退款 (common, 2 characters)', () => ({ apps: APPS, text: '退款' })],
    ['申请退款 (a phrase)', () => ({ apps: APPS, text: '申请退款' })],
    ['an order number (rare, part of it)', (i) => ({ apps: APPS, text: orders[i % orders.length]!.slice(2) })],
    ['refund (English)', () => ({ apps: APPS, text: 'refund' })],
    ['发票, one mini program', () => ({ apps: [APPS[1]!], text: '发票' })],
    ['投诉 (rare, 2 characters)', () => ({ apps: APPS, text: '投诉' })],
    ['退款 of one customer', (i) => ({ apps: APPS, text: '退款', openid: openids[i % openids.length] })],
    ['发货, last 7 days', () => ({ apps: APPS, text: '发货', from: week })],
    ['退款, tag vip, resolved', () => ({ apps: APPS, text: '退款', tag: 'vip', status: 'resolved' })],
    ['退 (one character)', () => ({ apps: APPS, text: '退' })],
    ['no match (zzqx)', () => ({ apps: APPS, text: 'zzqx' })],
    ['鳄鱼 (2 characters, no match)', () => ({ apps: APPS, text: '鳄鱼' })],
    ['one customer, no text', (i) => ({ apps: APPS, openid: openids[i % openids.length] })]
  ]
  return { searches, orders }
}

export interface SearchTimes { name: string, times: number[], found: number, stopped: number }

/** Runs each search `runs` times; resolves with each one's times (ms), result count and how often the search's
 *  deadline stopped it (503, its time counted; after two, that search is not run again). */
export async function timeSearches (prisma: PrismaClient, searches: TypicalSearch[], runs: number): Promise<SearchTimes[]> {
  const out: SearchTimes[] = []
  for (const [name, make] of searches) {
    const times: number[] = []
    let found = 0
    let stopped = 0
    for (let i = 0; i < runs && stopped < 2; i++) {
      const start = performance.now()
      try {
        found = (await search(prisma, { ...make(i), limit: 20 })).hits.length
      } catch (err) {
        if ((err as { code?: string }).code !== 'KEFU_CONSOLE_TOO_SLOW') throw err
        stopped++
      }
      times.push(performance.now() - start)
    }
    out.push({ name, times, found, stopped })
  }
  return out
}

/** The China days of the last `days` days, today included. */
export function lastDays (days: number): { from: string, to: string } {
  const to = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
  const from = new Date(Date.now() + 8 * 3600_000 - (days - 1) * 86_400_000).toISOString().slice(0, 10)
  return { from, to }
}
