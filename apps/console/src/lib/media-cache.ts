/** A bounded in-process LRU for media fetched from WeChat (temporary media live 3 days; images do not change). */
export class MediaCache {
  readonly #maxBytes: number
  #bytes = 0
  readonly #entries = new Map<string, { contentType: string, body: Buffer }>()

  constructor (maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  get (key: string): { contentType: string, body: Buffer } | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    }
    return entry
  }

  set (key: string, entry: { contentType: string, body: Buffer }): void {
    if (entry.body.length > this.#maxBytes / 4) return
    const old = this.#entries.get(key)
    if (old !== undefined) {
      this.#bytes -= old.body.length
      this.#entries.delete(key)
    }
    this.#entries.set(key, entry)
    this.#bytes += entry.body.length
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break
      this.#entries.delete(k)
      this.#bytes -= v.body.length
    }
  }
}
