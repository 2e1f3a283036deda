// A browser's cookies for one site, as the suites of this workspace keep them: what Set-Cookie sets (and unsets), sent
// back in one Cookie header.
export class CookieJar {
  readonly cookies = new Map<string, string>()

  /** The Cookie header's value ('' when empty). */
  header (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
  }

  /** Keeps what a response sets; a cookie set empty or with Max-Age=0 is gone. */
  take (res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const value = decodeURIComponent(pair.slice(eq + 1))
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(pair.slice(0, eq))
      else this.cookies.set(pair.slice(0, eq), value)
    }
  }
}
