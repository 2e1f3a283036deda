import path from 'node:path'
import { defaultDataDir } from '@kefu/db'
import { ConfigError, readInt, readOptional, refusePlaceholder, type Env } from '@kefu/service'
import type { MediaStoreConfig } from './media-store.js'

export interface HistoryConfig {
  /** MEDIA_STORE and its settings. */
  store: MediaStoreConfig
  /** MEDIA_MAX_BYTES */
  maxBytes: number
  /** MEDIA_FETCH_ATTEMPTS */
  fetchAttempts: number
  /** RETENTION_DAYS; null: kept forever. */
  retentionDays: number | null
}

/** Where media are kept, how hard they are fetched, and how long history lasts. */
export function readHistoryConfig (env: Env): HistoryConfig {
  const kind = readOptional(env, 'MEDIA_STORE') ?? 'fs'
  let store: MediaStoreConfig
  if (kind === 'fs') {
    store = { kind: 'fs', dir: path.join(defaultDataDir(env), 'media') }
  } else if (kind === 's3') {
    const bucket = readOptional(env, 'MEDIA_S3_BUCKET')
    if (bucket === undefined) throw new ConfigError('MEDIA_S3_BUCKET is required with MEDIA_STORE=s3')
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`MEDIA_S3_BUCKET must be a bucket name (3–63 lower-case letters, digits, dots, hyphens), got "${bucket}"`)
    const endpoint = readOptional(env, 'MEDIA_S3_ENDPOINT')
    if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) throw new ConfigError(`MEDIA_S3_ENDPOINT must be an http:// or https:// URL, got "${endpoint}"`)
    const pathStyle = readOptional(env, 'MEDIA_S3_FORCE_PATH_STYLE') ?? (endpoint === undefined ? 'false' : 'true')
    if (pathStyle !== 'true' && pathStyle !== 'false') throw new ConfigError(`MEDIA_S3_FORCE_PATH_STYLE must be true or false, got "${pathStyle}"`)
    const prefix = readOptional(env, 'MEDIA_S3_PREFIX') ?? ''
    if (!/^([A-Za-z0-9._-]+\/)*$/.test(prefix)) throw new ConfigError(`MEDIA_S3_PREFIX must be empty or end with / (letters, digits, . _ -), got "${prefix}"`)
    const accessKeyId = readOptional(env, 'MEDIA_S3_ACCESS_KEY_ID')
    const secretAccessKey = readOptional(env, 'MEDIA_S3_SECRET_ACCESS_KEY')
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      throw new ConfigError('MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together: set both, or neither to use the AWS default credential chain')
    }
    if (secretAccessKey !== undefined) refusePlaceholder('MEDIA_S3_SECRET_ACCESS_KEY', secretAccessKey)
    store = {
      kind: 's3',
      bucket,
      region: readOptional(env, 'MEDIA_S3_REGION') ?? 'us-east-1',
      endpoint,
      forcePathStyle: pathStyle === 'true',
      prefix,
      credentials: accessKeyId === undefined || secretAccessKey === undefined ? undefined : { accessKeyId, secretAccessKey }
    }
  } else {
    throw new ConfigError(`MEDIA_STORE must be fs or s3, got "${kind}"`)
  }
  const days = readInt(env, 'RETENTION_DAYS', 0, { min: 0, max: 36_500 })
  return {
    store,
    maxBytes: readInt(env, 'MEDIA_MAX_BYTES', 10 * 1024 * 1024, { min: 1024, max: 100 * 1024 * 1024 }),
    fetchAttempts: readInt(env, 'MEDIA_FETCH_ATTEMPTS', 8, { min: 1, max: 50 }),
    retentionDays: days === 0 ? null : days
  }
}
