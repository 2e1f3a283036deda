/** The part of a tap Test that `refusesEach` uses. */
interface Tap {
  fail (message: string): boolean
  match (found: unknown, wanted: RegExp | string, message: string): boolean
  equal (found: unknown, wanted: unknown, message: string): boolean
}

/**
 * Each input is refused: `read(input)` throws a ConfigError (or a package's own, e.g. SessionConfigError) whose message is one line that matches the pattern (or
 * equals the string). For configuration readers, whose refusals stop a process with that line.
 */
export function refusesEach<I> (t: Tap, read: (input: I) => unknown, cases: Array<[I, RegExp | string]>): void {
  for (const [input, wanted] of cases) {
    const label = typeof input === 'string' ? input : JSON.stringify(input)
    let message: string | undefined
    try {
      read(input)
    } catch (err) {
      const e = err as Error
      if (!e.name.endsWith('ConfigError')) t.fail(`${label}: threw ${e.name}, not a ConfigError: ${e.message}`)
      message = e.message
    }
    if (message === undefined) { t.fail(`${label}: accepted, should be refused`); continue }
    if (typeof wanted === 'string') t.equal(message, wanted, label)
    else t.match(message, wanted, label)
    t.equal(message.includes('\n'), false, `${label}: one line`)
  }
}
