// The bench's stream readers (stream-readers.ts), a process of their own: opens each live stream it is sent with
// plain node:http and counts its `event:` lines. Messages: { op: 'open', id, url, headers } → { op: 'opened', id,
// status }; { op: 'count', id } → { op: 'count', id, total, bytes, cpu }; { op: 'close' } ends every stream and the process.
import http from 'node:http'

const MARK = Buffer.from('\nevent: ')
const requests = []
let total = 0
let bytes = 0

process.on('message', (m) => {
  if (m.op === 'count') {
    const cpu = process.cpuUsage()
    process.send({ op: 'count', id: m.id, total, bytes, cpu: cpu.user + cpu.system })
    return
  }
  if (m.op === 'close') {
    for (const r of requests) r.destroy()
    process.disconnect()
    return
  }
  const req = http.get(m.url, { headers: m.headers, agent: false }, (res) => {
    process.send({ op: 'opened', id: m.id, status: res.statusCode })
    // A line may be split between two chunks: the last bytes of one are searched again with the next.
    let tail = Buffer.alloc(0)
    res.on('data', (chunk) => {
      bytes += chunk.length
      const buf = tail.length === 0 ? chunk : Buffer.concat([tail, chunk])
      for (let at = buf.indexOf(MARK); at !== -1; at = buf.indexOf(MARK, at + 1)) total++
      tail = buf.subarray(Math.max(0, buf.length - MARK.length + 1))
    })
    res.on('error', () => {})
  })
  req.on('error', (err) => { process.send({ op: 'opened', id: m.id, status: 0, error: err.message }) })
  requests.push(req)
})
