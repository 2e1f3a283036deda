import { exitOnStartError, runService } from '@kefu/service'
import syncApp from './app.js'
import { appOptions, loadConfig, serverOptions } from './config.js'

async function main (): Promise<void> {
  const config = loadConfig(process.env)
  await runService({
    name: 'sync',
    app: syncApp,
    appOptions: appOptions(config),
    port: config.port,
    host: config.host,
    metrics: config.metrics,
    logLevel: config.logLevel,
    fastify: serverOptions(config),
    banner: (url) => `sync listening on ${url}: open ${config.publicUrl}/ (client ${config.clientId} of ${config.authUrl}; register ${config.publicUrl}/sso/callback as its redirect URI and ${config.publicUrl}/sso/logout as its logoutUri)`
  })
}

main().catch(exitOnStartError('sync'))
