import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DeleteObjectsCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'

/** Where kept media live: files under DATA_DIR/media, or an S3-compatible bucket. Keys are kefu's, never a user's. */
export interface MediaStore {
  /** A one-line description for logs and the start banner (no secret). */
  readonly description: string
  put: (key: string, body: Buffer, contentType: string) => Promise<void>
  /** The bytes, or null when nothing is stored under `key`. */
  get: (key: string) => Promise<{ body: Buffer, contentType: string } | null>
  /** Removes the keys; absent ones are not an error. */
  remove: (keys: string[]) => Promise<void>
}

export type MediaStoreConfig =
  | { kind: 'fs', dir: string }
  | {
      kind: 's3'
      bucket: string
      region: string
      /** Omit for AWS itself; MinIO, Ceph, R2, OSS, COS, s3rver… */
      endpoint?: string
      forcePathStyle: boolean
      /** Key prefix inside the bucket, e.g. `kefu/`. */
      prefix: string
      /** Omit to use the SDK's default chain (environment, instance role). */
      credentials?: { accessKeyId: string, secretAccessKey: string }
    }

/** `<appid>/<sha256 of the media_id, 2 levels>`: no user-chosen text becomes a path or an object key. */
export function mediaKey (appId: string, mediaId: string): string {
  const h = createHash('sha256').update(mediaId).digest('hex')
  return `${appId}/${h.slice(0, 2)}/${h}`
}

export function createMediaStore (config: MediaStoreConfig): MediaStore {
  return config.kind === 'fs' ? new FsMediaStore(config.dir) : new S3MediaStore(config)
}

/** Files under one directory: the body, and its content type in a small side file; written whole, then renamed. */
export class FsMediaStore implements MediaStore {
  readonly description: string
  readonly #dir: string

  constructor (dir: string) {
    this.#dir = path.resolve(dir)
    this.description = `files under ${this.#dir}`
  }

  #file (key: string): string {
    if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(key)) throw new Error(`bad media key ${key}`)
    return path.join(this.#dir, key)
  }

  async put (key: string, body: Buffer, contentType: string): Promise<void> {
    const file = this.#file(key)
    await mkdir(path.dirname(file), { recursive: true })
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
    await writeFile(tmp, body)
    await writeFile(file + '.type', contentType)
    await rename(tmp, file)
  }

  async get (key: string): Promise<{ body: Buffer, contentType: string } | null> {
    const file = this.#file(key)
    try {
      const [body, contentType] = await Promise.all([readFile(file), readFile(file + '.type', 'utf8')])
      return { body, contentType }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  async remove (keys: string[]): Promise<void> {
    for (const key of keys) {
      const file = this.#file(key)
      await rm(file, { force: true })
      await rm(file + '.type', { force: true })
    }
  }
}

/** An S3-compatible bucket through @aws-sdk/client-s3. */
export class S3MediaStore implements MediaStore {
  readonly description: string
  readonly #client: S3Client
  readonly #bucket: string
  readonly #prefix: string

  constructor (config: Extract<MediaStoreConfig, { kind: 's3' }>) {
    this.#client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
      maxAttempts: 3
    })
    this.#bucket = config.bucket
    this.#prefix = config.prefix
    this.description = `S3 bucket ${config.bucket}${config.endpoint === undefined ? '' : ` at ${config.endpoint}`}${config.prefix === '' ? '' : `, prefix ${config.prefix}`}`
  }

  async put (key: string, body: Buffer, contentType: string): Promise<void> {
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key, Body: body, ContentType: contentType }))
  }

  async get (key: string): Promise<{ body: Buffer, contentType: string } | null> {
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }))
      const bytes = await out.Body?.transformToByteArray()
      if (bytes === undefined) return null
      return { body: Buffer.from(bytes), contentType: out.ContentType ?? 'application/octet-stream' }
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null
      throw err
    }
  }

  async remove (keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000)
      await this.#client.send(new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: batch.map((k) => ({ Key: this.#prefix + k })), Quiet: true } }))
    }
  }

  destroy (): void {
    this.#client.destroy()
  }
}
