import { exitOnStartError, runService } from '@kefu/service'
import ingestApp from './app.js'
import { loadConfig } from './config.js'

async function main (): Promise<void> {
  const config = loadConfig(process.env)
  await runService({
    name: 'ingest',
    app: ingestApp,
    appOptions: {
      apps: config.apps,
      databaseUrl: config.databaseUrl,
      poolMax: config.poolMax,
      redisUrl: config.redisUrl,
      timestampWindowS: config.timestampWindowS
    },
    port: config.port,
    host: config.host,
    logLevel: config.logLevel,
    fastify: { bodyLimit: 1024 * 1024 },
    banner: (url) => `ingest listening on ${url}: WeChat pushes to ${url}/wechat/<appid> (${config.apps.map((a) => a.appid).join(', ')}), API docs at ${url}/docs`
  })
}

main().catch(exitOnStartError('ingest'))
