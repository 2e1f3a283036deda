export {
  ConfigError, readString, readOptional, readInt, readDrainMs, readPort, readLogLevel, readHttpUrl, readOrigin, readDatabaseUrl, readDatabaseReadUrl,
  readRedisUrl, readJson, readMetricsListener, readListener, readDatabase, type Env, type MetricsListenerConfig, type ListenerConfig,
  type DatabaseConfig
} from './config.js'
export { installErrorHandler } from './errors.js'
export {
  startService, stopOnSignals, runService, DRAINING, type ServiceConfig, type ServiceModule, type StartServiceOptions, type RunningService, type StopOnSignalsOptions
} from './server.js'
export {
  createRedisClient, sendCommand, commandClient, closeRedisClient, hashTag, isClusterClient, isClusterTarget, describeRedisTarget,
  type RedisClient, type RedisServerClient, type RedisClusterClient, type RedisTarget, type RedisClusterTarget
} from './redis.js'
export { createMemoryBus, createRedisBus, type EventBus, type BusHandler, type RedisBusOptions } from './bus.js'
export { parseWechatApps, readWechatApps, createPushCrypto, type WechatAppConfig } from './wechat-apps.js'
export { parseSubscribeTemplates, type SubscribeTemplate, type SubscribeTemplateField } from './subscribe-templates.js'
export { SUBSCRIBE_FIELD_KINDS, subscribeFieldKind, subscribeFieldRule, subscribeValueProblem, type SubscribeFieldKind, type FieldProblem } from './subscribe-fields.js'
export { redisPlugin, busPlugin, type RedisPluginOptions, type BusPluginOptions } from './plugins.js'
export { readTrustProxy, trustProxyOption, readJsonSetting, isPlaceholder, refusePlaceholder, type TrustProxy } from './config.js'
export { clientKey, isAddressOrCidr, isLoopbackHost } from './ip.js'
export { readLauncherAddresses, type LauncherAddresses } from './launcher.js'
export { escapeHtml, redirectToPublicUrl, healthRoutes, type HealthRoutesOptions } from './web.js'
export { unavailability, isUnavailable, UNAVAILABLE_MESSAGE, type Unavailability, type Backing } from './unavailable.js'
export { metricsPlugin, createMetrics, sessionStoreErrors, LATENCY_BUCKETS, type Metrics, type MetricsPluginOptions, type CounterMetric, type GaugeMetric, type HistogramMetric } from './metrics.js'
export { sameOriginGuard, crossSiteReason, type SameOriginGuardOptions } from './same-origin.js'
export { listenForMetrics, type MetricsListener } from './metrics-listener.js'
export { htmlDocument, pageHeaders, type HtmlDocument } from './page-headers.js'
