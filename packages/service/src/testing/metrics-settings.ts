/** The part of a tap Test that `checkMetricsSettings` uses. */
interface Tap {
  same (found: unknown, wanted: unknown): boolean
  throws (fn: () => unknown, wanted: { name: string, message: RegExp | string }): unknown
}

/**
 * A service's METRICS_* settings as its config reads them (`metricsOf(env)`, env added to what the service needs
 * anyway): a listener of its own on loopback at `port` by default, never the public PORT (`publicPort`), off
 * loopback only with METRICS_TOKEN.
 */
export function checkMetricsSettings (t: Tap, metricsOf: (env: Record<string, string>) => unknown, ports: { port: number, publicPort: number }): void {
  t.same(metricsOf({}), { host: '127.0.0.1', port: ports.port })
  t.same(metricsOf({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100', METRICS_TOKEN: 'm'.repeat(32) }), { host: '0.0.0.0', port: 9100, token: 'm'.repeat(32) })
  t.throws(() => metricsOf({ METRICS_PORT: String(ports.publicPort) }), { name: 'ConfigError', message: `METRICS_PORT must differ from PORT (${ports.publicPort}): /metrics is never served on the public listener` })
  t.throws(() => metricsOf({ METRICS_HOST: '0.0.0.0' }), { name: 'ConfigError', message: /^METRICS_TOKEN is required with METRICS_HOST 0\.0\.0\.0/ })
}
