import { exitOnStartError, runService } from '@kefu/service'
import ingestApp from './app.js'
import { appOptions, loadConfig, serverOptions } from './config.js'

async function main (): Promise<void> {
  const config = loadConfig(process.env)
  await runService({
    name: 'ingest',
    app: ingestApp,
    appOptions: appOptions(config),
    port: config.port,
    host: config.host,
    metrics: config.metrics,
    logLevel: config.logLevel,
    fastify: serverOptions(config),
    banner: (url) => `ingest listening on ${url}: WeChat pushes to ${url}/wechat/<appid> (${config.apps.map((a) => a.appid).join(', ')}), API docs at ${url}/docs`
  })
}

main().catch(exitOnStartError('ingest'))
