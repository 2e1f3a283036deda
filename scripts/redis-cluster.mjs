#!/usr/bin/env node
// A real local Redis Cluster of three masters (no replicas) from Debian's redis-server, for tests and .ci/run.
//
//   node scripts/redis-cluster.mjs start [--dir DIR] [--base 7101]   prints REDIS_CLUSTER_URLS=redis://127.0.0.1:7101,…
//   node scripts/redis-cluster.mjs stop --dir DIR
//
// As a module: `startRedisCluster({ base, dir, persistent })` resolves to { urls, ports, dir, stopNode(i), startNode(i), stop() }.
// Ports: the first three free ports from `base` up (each with its cluster bus port, +10000, free too), never one of
// SPEC's reserved ports. Data lives in a temporary directory (no RDB, no AOF; `persistent: true` turns on an
// append-only file synced on every write, so that a node killed and started again has its data back, as a master
// with persistence or a promoted replica would). Each node runs daemonized with a
// pidfile there, so that `stop` works from another process. `cluster-require-full-coverage no`: while one master is
// away, the slots of the others keep answering (what the outage test checks); `cluster-node-timeout` is short so that
// the cluster notices a lost master within a second or two.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const RESERVED = new Set([1883, 3306, 4222, 5432, 5672, 6222, 6379, 8222, 15672, 25672])
const REDIS_SERVER = process.env.REDIS_SERVER_PATH || '/usr/bin/redis-server'
const MASTERS = 3
const SLOTS = 16384

function portFree (port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

async function freePorts (base, count) {
  const found = []
  for (let port = base; port < base + 200 && found.length < count; port++) {
    if (RESERVED.has(port) || RESERVED.has(port + 10000)) continue
    if (await portFree(port) && await portFree(port + 10000)) found.push(port)
  }
  if (found.length < count) throw new Error(`redis-cluster: no ${count} free ports (with their bus ports, +10000) from ${base} to ${base + 199}`)
  return found
}

/** One command to one node over RESP, without a client library (this script runs before anything is built). */
export function command (port, args, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let data = ''
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`redis-cluster: 127.0.0.1:${port} did not answer ${args[0]} within ${timeoutMs} ms`)) }, timeoutMs)
    socket.setEncoding('utf8')
    socket.once('error', (err) => { clearTimeout(timer); reject(err) })
    socket.on('data', (chunk) => {
      data += chunk
      const reply = parse(data)
      if (reply === undefined) return
      clearTimeout(timer)
      socket.destroy()
      if (reply instanceof Error) reject(reply)
      else resolve(reply)
    })
    socket.once('connect', () => {
      socket.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join(''))
    })
  })
}

/** The first RESP2 reply in `text` (simple string, error, integer or bulk string), or undefined while incomplete. */
function parse (text) {
  const end = text.indexOf('\r\n')
  if (end < 0) return undefined
  const head = text.slice(1, end)
  switch (text[0]) {
    case '+': return head
    case '-': return new Error(head)
    case ':': return Number(head)
    case '$': {
      const n = Number(head)
      if (n < 0) return null
      const body = Buffer.from(text.slice(end + 2), 'utf8')
      return body.length >= n + 2 ? body.subarray(0, n).toString('utf8') : undefined
    }
    default: return new Error(`redis-cluster: unexpected reply ${JSON.stringify(text.slice(0, 40))}`)
  }
}

function startNode (dir, port, persistent) {
  const nodeDir = path.join(dir, String(port))
  mkdirSync(nodeDir, { recursive: true })
  const run = spawnSync(REDIS_SERVER, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--daemonize', 'yes',
    '--pidfile', path.join(nodeDir, 'redis.pid'), '--logfile', path.join(nodeDir, 'redis.log'),
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000',
    '--cluster-require-full-coverage', 'no', '--save', '', '--protected-mode', 'yes',
    ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])
  ], { encoding: 'utf8' })
  if (run.error !== undefined) throw new Error(`redis-cluster: cannot run ${REDIS_SERVER}: ${run.error.message}`)
  if (run.status !== 0) throw new Error(`redis-cluster: ${REDIS_SERVER} on port ${port} exited with ${run.status}: ${(run.stderr || run.stdout).trim()}`)
}

async function waitFor (what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      if (await check()) return
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`redis-cluster: ${what} within ${timeoutMs} ms${last ? ` (${last.message})` : ''}`)
    await delay(50)
  }
}

function pidOf (dir, port) {
  try {
    return Number(readFileSync(path.join(dir, String(port), 'redis.pid'), 'utf8').trim())
  } catch {
    return undefined
  }
}

function alive (pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Kills the node on `port` (SIGKILL, as a crash would) and waits until it is gone. */
async function killNode (dir, port) {
  const pid = pidOf(dir, port)
  if (pid === undefined || !alive(pid)) return
  process.kill(pid, 'SIGKILL')
  await waitFor(`node ${port} did not exit`, () => !alive(pid), 5000)
  rmSync(path.join(dir, String(port), 'redis.pid'), { force: true })
}

/** The ports of a running cluster's nodes, from the directories under `dir`. */
function portsIn (dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((n) => /^\d+$/.test(n)).map(Number)
}

export async function stopRedisCluster (dir) {
  for (const port of portsIn(dir)) await killNode(dir, port)
  rmSync(dir, { recursive: true, force: true })
}

export async function startRedisCluster ({ base = 7101, dir, persistent = false } = {}) {
  const root = dir ?? mkdtempSync(path.join(os.tmpdir(), 'kefu-redis-cluster-'))
  const ports = await freePorts(base, MASTERS)
  try {
    for (const port of ports) startNode(root, port, persistent)
    for (const port of ports) await waitFor(`node ${port} did not answer PING`, async () => await command(port, ['PING']) === 'PONG', 5000)
    // Slots split in three ranges, then every node meets the first.
    for (const [i, port] of ports.entries()) {
      const from = Math.floor(i * SLOTS / MASTERS)
      const to = Math.floor((i + 1) * SLOTS / MASTERS) - 1
      await command(port, ['CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)])
    }
    for (const port of ports.slice(1)) await command(port, ['CLUSTER', 'MEET', '127.0.0.1', String(ports[0])])
    for (const port of ports) {
      await waitFor(`the cluster did not agree on its state (node ${port})`, async () => /cluster_state:ok/.test(await command(port, ['CLUSTER', 'INFO'])) &&
        /cluster_known_nodes:3\b/.test(await command(port, ['CLUSTER', 'INFO'])), 10000)
    }
  } catch (err) {
    await stopRedisCluster(root).catch(() => {})
    throw err
  }
  const urls = ports.map((p) => `redis://127.0.0.1:${p}`)
  return {
    dir: root,
    ports,
    urls,
    /** Kills master `i` (0–2) as a crash would. */
    async stopNode (i) { await killNode(root, ports[i]) },
    /** Starts master `i` again from its nodes.conf (same id, same slots) and waits until the cluster is whole. */
    async startNode (i) {
      startNode(root, ports[i], persistent)
      await waitFor(`node ${ports[i]} did not rejoin`, async () => /cluster_state:ok/.test(await command(ports[i], ['CLUSTER', 'INFO'])), 10000)
    },
    async stop () { await stopRedisCluster(root) }
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [verb, ...rest] = process.argv.slice(2)
  const option = (name) => {
    const i = rest.indexOf(name)
    return i >= 0 ? rest[i + 1] : undefined
  }
  try {
    if (verb === 'start') {
      const cluster = await startRedisCluster({ base: Number(option('--base') ?? 7101), dir: option('--dir') })
      process.stdout.write(`REDIS_CLUSTER_URLS=${cluster.urls.join(',')}\nREDIS_CLUSTER_DIR=${cluster.dir}\n`)
    } else if (verb === 'stop' && option('--dir') !== undefined) {
      await stopRedisCluster(option('--dir'))
    } else {
      process.stderr.write('usage: node scripts/redis-cluster.mjs start [--dir DIR] [--base PORT] | stop --dir DIR\n')
      process.exit(2)
    }
  } catch (err) {
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  }
}
