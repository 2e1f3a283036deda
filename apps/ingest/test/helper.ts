import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createTestDatabase, type TestDatabase } from '@kefu/db/testing'
import { deleteKeysAtTeardown, testKeyPrefix } from '@kefu/service/testing'
import { generateSecretKey } from '@kefu/secrets'
import { buildPush, messageFields, type BuildPushOptions, type PushMode, type SimulatedType } from '@kefu/wechat-crypto'
import ingestApp, { type IngestOptions, type WechatAppConfig } from '../src/app.js'

interface Tap {
  teardown: (fn: () => unknown) => void
}

export const SAFE_APP: WechatAppConfig = {
  appid: 'wxba5fad812f8e6fb9',
  token: 'AAAAA',
  encodingAESKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
}
export const PLAIN_APP: WechatAppConfig = { appid: 'wx00000000000000a1', token: 'plainToken123' }
export const ROTATED_APP: WechatAppConfig = {
  appid: 'wx00000000000000b2',
  token: 'rotateToken',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  previousEncodingAESKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj'
}
export const APPS = [SAFE_APP, PLAIN_APP, ROTATED_APP]
/** This file's KEFU_SECRET_KEY: every instance a test file starts shares it, as every instance of a deployment does. */
export const SECRET_KEYS = [generateSecretKey('test')]

/** A database for this test file alone: real PostgreSQL when DATABASE_URL is set, embedded otherwise. */
export async function fileDatabase (t: Tap, label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label)
  t.teardown(db.drop)
  return db
}

export async function build (t: Tap, db: TestDatabase, overrides: Partial<IngestOptions> = {}): Promise<FastifyInstance> {
  const redisPrefix = overrides.redisPrefix ?? testKeyPrefix('ingest')
  const redisUrl = process.env.REDIS_URL
  deleteKeysAtTeardown(t, redisPrefix, overrides.redisUrl ?? (redisUrl === '' ? undefined : redisUrl))
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 })
  // fastify-plugin lifts the app's decorators (prisma) to the test's instance, as in fastify/demo's helper.
  await app.register(fp(ingestApp), {
    apps: APPS,
    secretKeys: SECRET_KEYS,
    databaseUrl: db.url,
    poolMax: db.poolMax,
    redisUrl: redisUrl === '' ? undefined : redisUrl,
    redisPrefix,
    docs: false,
    ...overrides
  })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

export function push (app: WechatAppConfig, mode: PushMode, format: 'json' | 'xml', fields: BuildPushOptions['fields'], extra: Partial<BuildPushOptions> = {}) {
  return buildPush({ appid: app.appid, token: app.token, encodingAESKey: app.encodingAESKey, mode, format, fields, ...extra })
}

export function fields (type: SimulatedType, extra: Parameters<typeof messageFields>[0] extends infer O ? Partial<O> : never = {}) {
  return messageFields({ type, ...extra })
}

export function send (app: FastifyInstance, appid: string, built: { query: Record<string, string>, body: string, contentType: string }) {
  return app.inject({
    method: 'POST',
    url: `/wechat/${appid}`,
    query: built.query,
    headers: { 'content-type': built.contentType },
    payload: built.body
  })
}

export async function countRows (app: FastifyInstance): Promise<number> {
  return app.prisma.customerMessage.count()
}
