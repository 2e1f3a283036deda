import { runService } from '@kefu/service'
import * as ingest from './app.js'

runService('ingest', ingest, (url, config) => `ingest listening on ${url}: WeChat pushes to ${url}/wechat/<appid> (${config.apps.map((a) => a.appid).join(', ')}), API docs at ${url}/docs`)
