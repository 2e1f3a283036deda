import path from 'node:path'
import t from 'tap'
import { readHistoryConfig } from '../src/history-config.js'

t.test('kept media and retention settings: defaults, S3, and one clear line for each mistake', async (t) => {
  const fs = readHistoryConfig({ DATA_DIR: '/srv/kefu' })
  t.same(fs, { store: { kind: 'fs', dir: path.join('/srv/kefu', 'media') }, maxBytes: 10 * 1024 * 1024, fetchAttempts: 8, retentionDays: null }, 'files under DATA_DIR/media, retention off')
  t.same(readHistoryConfig({ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'kefu-media', MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000', MEDIA_S3_PREFIX: 'kefu/', MEDIA_S3_ACCESS_KEY_ID: 'id', MEDIA_S3_SECRET_ACCESS_KEY: 'secret', RETENTION_DAYS: '180' }), {
    store: { kind: 's3', bucket: 'kefu-media', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, prefix: 'kefu/', credentials: { accessKeyId: 'id', secretAccessKey: 'secret' } },
    maxBytes: 10 * 1024 * 1024,
    fetchAttempts: 8,
    retentionDays: 180
  })
  t.match(readHistoryConfig({ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'kefu-media' }).store, { forcePathStyle: false, credentials: undefined, endpoint: undefined }, 'AWS: virtual-hosted addresses, the SDK\'s credential chain')
  t.equal(readHistoryConfig({ RETENTION_DAYS: '0' }).retentionDays, null, '0 keeps everything')
  for (const [env, why] of [
    [{ MEDIA_STORE: 'ftp' }, /^MEDIA_STORE must be fs or s3, got "ftp"$/],
    [{ MEDIA_STORE: 's3' }, /^MEDIA_S3_BUCKET is required with MEDIA_STORE=s3$/],
    [{ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'Bad_Bucket' }, /^MEDIA_S3_BUCKET must be a bucket name/],
    [{ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'b-1', MEDIA_S3_ENDPOINT: 'minio:9000' }, /^MEDIA_S3_ENDPOINT must be an http/],
    [{ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'b-1', MEDIA_S3_FORCE_PATH_STYLE: 'yes' }, /^MEDIA_S3_FORCE_PATH_STYLE must be true or false/],
    [{ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'b-1', MEDIA_S3_PREFIX: 'kefu' }, /^MEDIA_S3_PREFIX must be empty or end with \//],
    [{ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'b-1', MEDIA_S3_ACCESS_KEY_ID: 'id' }, /^MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together/],
    [{ MEDIA_STORE: 's3', MEDIA_S3_BUCKET: 'b-1', MEDIA_S3_ACCESS_KEY_ID: 'id', MEDIA_S3_SECRET_ACCESS_KEY: 'change-me-s3-secret-access-key' }, /^MEDIA_S3_SECRET_ACCESS_KEY is still the placeholder/],
    [{ MEDIA_MAX_BYTES: '10MB' }, /^MEDIA_MAX_BYTES must be a whole number/],
    [{ MEDIA_FETCH_ATTEMPTS: '0' }, /^MEDIA_FETCH_ATTEMPTS must be between 1 and 50/],
    [{ RETENTION_DAYS: '-1' }, /^RETENTION_DAYS must be a whole number/]
  ] as Array<[Record<string, string>, RegExp]>) {
    t.throws(() => readHistoryConfig(env), { name: 'ConfigError', message: why }, JSON.stringify(env))
  }
})
