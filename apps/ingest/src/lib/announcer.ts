import type { StoredMessage } from './message-writer.js'

/**
 * Announces stored rows to live consoles, at most one announcement every `delayMs`: rows committed after a quiet
 * moment go out at once (in the event loop's next turn, after the batch's answers, which wait for nobody), rows
 * committed within `delayMs` of the last announcement wait for that window's end and go out together. Under load a
 * publish (a write to Redis) per push had cost as much CPU as the push's own answer; this keeps it to one per window,
 * and adds no delay to the first push.
 */
export class Announcer {
  readonly #publish: (rows: StoredMessage[]) => void
  readonly #delayMs: number
  #rows: StoredMessage[] = []
  /** The announcement to come: cancels it. */
  #scheduled: (() => void) | undefined
  /** When the last announcement went out (performance.now()). */
  #last = -Infinity

  constructor (publish: (rows: StoredMessage[]) => void, delayMs: number) {
    this.#publish = publish
    this.#delayMs = delayMs
  }

  add (rows: StoredMessage[]): void {
    for (const row of rows) this.#rows.push(row)
    if (this.#scheduled !== undefined) return
    const wait = this.#last + this.#delayMs - performance.now()
    if (wait <= 0) {
      const immediate = setImmediate(() => { this.flush() })
      this.#scheduled = () => { clearImmediate(immediate) }
    } else {
      const timer = setTimeout(() => { this.flush() }, wait)
      this.#scheduled = () => { clearTimeout(timer) }
    }
  }

  /** Publishes what is waiting now (also on close, so that nothing stored goes unannounced). */
  flush (): void {
    this.#scheduled?.()
    this.#scheduled = undefined
    if (this.#rows.length === 0) return
    const rows = this.#rows
    this.#rows = []
    this.#last = performance.now()
    this.#publish(rows)
  }
}
