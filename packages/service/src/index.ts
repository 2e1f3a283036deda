export {
  ConfigError, readString, readOptional, readInt, readPort, readLogLevel, readHttpUrl, readDatabaseUrl,
  readRedisUrl, readJson, type Env
} from './config.js'
export { installErrorHandler } from './errors.js'
export { runService, exitOnStartError, type RunServiceOptions } from './server.js'
