import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** The parts of prom-client's metrics that kefu uses, so that a disabled registry can hand out no-ops. */
export type CounterMetric<L extends string = string> = Pick<Counter<L>, 'inc'>
export type GaugeMetric<L extends string = string> = Pick<Gauge<L>, 'inc' | 'dec' | 'set'>
export type HistogramMetric<L extends string = string> = Pick<Histogram<L>, 'observe'>

/**
 * One service's metrics: each app instance owns a prom-client Registry of its own, never prom-client's global one,
 * so several services in one process (`pnpm start`) and several instances in one test never collide.
 */
export interface Metrics {
  /** False when the service runs without metrics (no hooks, every metric a no-op). */
  readonly enabled: boolean
  readonly registry: Registry | null
  counter: <L extends string = never>(name: string, help: string, labelNames?: readonly L[]) => CounterMetric<L>
  gauge: <L extends string = never>(name: string, help: string, labelNames?: readonly L[], collect?: (gauge: GaugeMetric<L>) => void) => GaugeMetric<L>
  histogram: <L extends string = never>(name: string, help: string, labelNames: readonly L[], buckets: number[]) => HistogramMetric<L>
}

declare module 'fastify' {
  interface FastifyInstance { metrics: Metrics }
}

const noop = (): void => {}
const NOOP_METRIC = { inc: noop, dec: noop, set: noop, observe: noop } as unknown as CounterMetric<never> & GaugeMetric<never> & HistogramMetric<never>

export function createMetrics (enabled = true): Metrics {
  if (!enabled) {
    return { enabled: false, registry: null, counter: () => NOOP_METRIC, gauge: () => NOOP_METRIC, histogram: () => NOOP_METRIC }
  }
  const registry = new Registry()
  return {
    enabled: true,
    registry,
    counter: <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers: [registry] }),
    gauge: <L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (gauge: GaugeMetric<L>) => void) => {
      const gauge: Gauge<L> = new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        ...(collect !== undefined ? { collect () { collect(gauge) } } : {})
      })
      return gauge
    },
    histogram: <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) => new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] })
  }
}

/**
 * `kefu_session_store_errors_total{store,operation}` for a service's session store (Redis away, timeouts): the
 * callback to give `instrumentStore` of `@kefu/session`.
 */
export function sessionStoreErrors (metrics: Metrics, store: string): (operation: string) => void {
  const errors = metrics.counter('kefu_session_store_errors_total', 'Session store operations that failed (Redis away, timeouts), by store and operation', ['store', 'operation'])
  return function countStoreError (operation) { errors.inc({ store, operation }) }
}

/** Request latency buckets, seconds: from a cached answer to WeChat's 5-second patience and past it. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface MetricsPluginOptions {
  /**
   * The service's metrics, created by whoever serves them on a listener of their own (`listenForMetrics`): the
   * public listener has no `/metrics`. Default: a fresh registry. `createMetrics(false)` leaves out the hooks and
   * makes every metric a no-op (the ingest benchmark's comparison).
   */
  metrics?: Metrics
}

/**
 * Decorates `fastify.metrics` with, for every service: `kefu_http_request_duration_seconds{method,route,status_code}`
 * (its `_count` is the request rate) and prom-client's process metrics, event-loop delay among them
 * (`nodejs_eventloop_lag_p99_seconds`, …). Serving them is `listenForMetrics`' job, on a listener of their own.
 */
export const metricsPlugin = fp<MetricsPluginOptions>(async function metrics (fastify, opts) {
  const metrics = opts.metrics ?? createMetrics()
  fastify.decorate('metrics', metrics)
  const registry = metrics.registry
  if (registry === null) return

  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 })
  const requests = new Histogram({
    name: 'kefu_http_request_duration_seconds',
    help: 'HTTP requests by method, route (as registered, `unmatched` for none) and status code, with their latency',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  // A callback hook, not an async one: it runs once per request on every service, the busiest ingest's included.
  fastify.addHook('onResponse', function countRequest (request: FastifyRequest, reply: FastifyReply, done: () => void) {
    requests.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode }, reply.elapsedTime / 1000)
    done()
  })
}, { name: 'kefu-metrics' })
