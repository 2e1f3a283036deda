import type { StoredMessage } from './message-writer.js'

/**
 * Announces stored rows to live consoles, a few milliseconds late: rows committed within `delayMs` go out in one
 * message. Under light load every commit is a batch of one, and a publish (a write to Redis) per push cost as much
 * CPU as the push's own answer; a console does not see the difference.
 */
export class Announcer {
  readonly #publish: (rows: StoredMessage[]) => void
  readonly #delayMs: number
  #rows: StoredMessage[] = []
  #timer: NodeJS.Timeout | undefined

  constructor (publish: (rows: StoredMessage[]) => void, delayMs: number) {
    this.#publish = publish
    this.#delayMs = delayMs
  }

  add (rows: StoredMessage[]): void {
    for (const row of rows) this.#rows.push(row)
    this.#timer ??= setTimeout(() => { this.flush() }, this.#delayMs)
  }

  /** Publishes what is waiting now (also on close, so that nothing stored goes unannounced). */
  flush (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#rows.length === 0) return
    const rows = this.#rows
    this.#rows = []
    this.#publish(rows)
  }
}
