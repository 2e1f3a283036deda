// Types of scripts/redis-cluster.mjs, for the TypeScript tests that start a cluster of their own.
export interface LocalRedisCluster {
  readonly dir: string
  readonly ports: number[]
  /** `redis://127.0.0.1:<port>` of each master. */
  readonly urls: string[]
  /** Kills master `i` (0–2) as a crash would. */
  stopNode: (i: number) => Promise<void>
  /** Starts master `i` again (same id, same slots) and waits until the cluster is whole. */
  startNode: (i: number) => Promise<void>
  stop: () => Promise<void>
}
/** `persistent`: an append-only file synced on every write, so that a killed node comes back with its data. */
export function startRedisCluster (options?: { base?: number, dir?: string, persistent?: boolean }): Promise<LocalRedisCluster>
export function stopRedisCluster (dir: string): Promise<void>
export function command (port: number, args: string[], timeoutMs?: number): Promise<unknown>
