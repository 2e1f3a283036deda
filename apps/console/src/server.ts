import { exitOnStartError, runService } from '@kefu/service'
import consoleApp from './app.js'
import { appOptions, loadConfig, serverOptions } from './config.js'

async function main (): Promise<void> {
  const config = loadConfig(process.env)
  await runService({
    name: 'console',
    app: consoleApp,
    appOptions: appOptions(config),
    port: config.port,
    host: config.host,
    metrics: config.metrics,
    logLevel: config.logLevel,
    fastify: serverOptions(config),
    banner: (url) => `console listening on ${url} (public ${config.publicUrl}), signing in through ${config.authUrl}`
  })
}

main().catch(exitOnStartError('console'))
