// How every instance's copy of the mini_program table stays current: a change announced on the event bus reloads that
// row, and a check every reloadIntervalMs reads every row again when the table's fingerprint moved. One load at a time.
import type { EventBus } from '@kefu/service'
import type { RegistryLog } from './program.js'

export interface LiveReloadOptions {
  bus: EventBus
  channel: string
  log: RegistryLog | undefined
  /** Reads one row (`appid`) or every row into memory. */
  load: (appid: string | undefined) => Promise<void>
  readFingerprint: () => Promise<string>
}

export class LiveReload {
  readonly #bus: EventBus
  readonly #channel: string
  readonly #log: RegistryLog | undefined
  readonly #load: (appid: string | undefined) => Promise<void>
  readonly #readFingerprint: () => Promise<string>
  /** Loads run one after another, so a load that began before a change never overwrites one that began after. */
  #queue: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #unsubscribe: (() => Promise<void>) | undefined
  #listeners = new Set<(appid: string | undefined) => void>()
  /** The table's fingerprint when every row was last read (see #check); undefined after a change of one row. */
  #fingerprint: string | undefined
  #counts = { checks: 0, fullLoads: 0 }

  constructor (opts: LiveReloadOptions) {
    this.#bus = opts.bus
    this.#channel = opts.channel
    this.#log = opts.log
    this.#load = opts.load
    this.#readFingerprint = opts.readFingerprint
  }

  /** From now on, a change announced on the channel is reloaded. */
  async subscribe (): Promise<void> {
    this.#unsubscribe = await this.#bus.subscribe(this.#channel, (message) => { this.#heard(message) })
  }

  /** Runs the periodic check every `every` ms until close(). */
  startChecks (every: number): void {
    this.#timer = setInterval(() => {
      this.#check().catch((err: Error) => this.#log?.warn({ err: err.message }, 'mini programs: periodic reload failed'))
    }, every)
    this.#timer.unref()
  }

  /** Called after each reload with the appid reloaded (undefined: every row). */
  onChange (listener: (appid: string | undefined) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Reads one row (`appid`) or every row again. */
  async reload (appid?: string): Promise<void> {
    const run = this.#queue.then(async () => { await this.#run(appid) })
    this.#queue = run.catch(() => {})
    await run
  }

  /**
   * How many periodic checks ran, and how many times every row was read (at start, on an announcement of many, and
   * when a check saw a change).
   */
  get loadCounts (): { checks: number, fullLoads: number } {
    return { ...this.#counts }
  }

  /** Tells every instance that the row `appid` (undefined: many rows) changed. */
  async announce (appid: string | undefined): Promise<void> {
    await this.#bus.publish(this.#channel, JSON.stringify(appid === undefined ? { all: true } : { appid }))
  }

  async close (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    const unsubscribe = this.#unsubscribe
    this.#unsubscribe = undefined
    await unsubscribe?.().catch(() => {})
    await this.#queue
  }

  /**
   * The safety net, run every reloadIntervalMs: reads the table's fingerprint (one row from PostgreSQL) and every row
   * only when it differs from the one of the last full read. With 10,000 mini programs, reading and comparing them all
   * every 30 s cost every instance a burst of CPU and garbage for nothing, nearly always.
   */
  async #check (): Promise<void> {
    const run = this.#queue.then(async () => {
      if (await this.#readFingerprint() !== this.#fingerprint) await this.#run(undefined)
      this.#counts.checks++
    })
    this.#queue = run.catch(() => {})
    await run
  }

  #heard (message: string): void {
    let appid: string | undefined
    try {
      const parsed = JSON.parse(message) as { appid?: unknown }
      appid = typeof parsed.appid === 'string' ? parsed.appid : undefined
    } catch {
      return
    }
    this.reload(appid).catch((err: Error) => this.#log?.warn({ err: err.message, appid }, 'mini programs: reload after a change failed'))
  }

  async #run (appid: string | undefined): Promise<void> {
    // Until a full read succeeds, the next check reads every row: a load that failed half way (the database went
    // away) must not leave memory stale behind a fingerprint that says it is current.
    this.#fingerprint = undefined
    if (appid === undefined) {
      // Read before the rows: a write between the two makes the next check read every row again, never miss it.
      const fingerprint = await this.#readFingerprint()
      this.#counts.fullLoads++
      await this.#load(undefined)
      this.#fingerprint = fingerprint
    } else {
      await this.#load(appid)
    }
    for (const listener of this.#listeners) listener(appid)
  }
}
