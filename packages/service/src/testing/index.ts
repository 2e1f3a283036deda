// Test helpers for kefu's services (the `@kefu/service/testing` entry): never imported by running code.
export { createTcpProxy, type TcpProxy, type CutMode } from './tcp-proxy.js'
export { outageDrill, recordRoutes, injected, fetched, type Probe, type Answer, type Server, type OutageDrillOptions } from './outage.js'
export { parseMetrics, metricValue, type Sample } from './metrics.js'
export { testKeyRoot, testKeyPrefix, keysUnder, deleteKeysUnder, deleteKeysAtTeardown } from './redis-keys.js'
export { bindServer, captureLogs, closeServer, proxiesInFront, startSite, type LogLine, type TestSite, type TestSiteOptions } from './sites.js'
export { refusesEach } from './refusals.js'
export { within } from './within.js'
export { RESERVED_PORTS, ephemeralPortLow, portFree } from './ports.js'
