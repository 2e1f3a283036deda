import { runService } from '@kefu/service'
import * as worker from './app.js'

runService('worker', worker, (url) => `worker running (health on ${url}/healthz): media, search index, retention, partitions, assignment sweep`)
