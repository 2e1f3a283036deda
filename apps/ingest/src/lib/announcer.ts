import type { StoredMessage } from './message-writer.js'

/**
 * Announces stored rows to live consoles, at most one announcement every `delayMs`: rows committed after a quiet
 * moment go out at once (a console shows a push as soon as it can), rows committed within `delayMs` of the last
 * announcement wait for that window's end and go out together. Under load a publish (a write to Redis) per push had
 * cost as much CPU as the push's own answer; this keeps it to one per window, and adds no delay to the first push.
 */
export class Announcer {
  readonly #publish: (rows: StoredMessage[]) => void
  readonly #delayMs: number
  #rows: StoredMessage[] = []
  #timer: NodeJS.Timeout | undefined
  /** When the last announcement went out (performance.now()). */
  #last = -Infinity

  constructor (publish: (rows: StoredMessage[]) => void, delayMs: number) {
    this.#publish = publish
    this.#delayMs = delayMs
  }

  add (rows: StoredMessage[]): void {
    for (const row of rows) this.#rows.push(row)
    if (this.#timer !== undefined) return
    const wait = this.#last + this.#delayMs - performance.now()
    if (wait <= 0) this.flush()
    else this.#timer = setTimeout(() => { this.flush() }, wait)
  }

  /** Publishes what is waiting now (also on close, so that nothing stored goes unannounced). */
  flush (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#rows.length === 0) return
    const rows = this.#rows
    this.#rows = []
    this.#last = performance.now()
    this.#publish(rows)
  }
}
