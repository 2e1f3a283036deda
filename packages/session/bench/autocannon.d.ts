// The slice of autocannon's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  export interface Histogram { average: number, mean: number, total: number, p50: number, p99: number, max: number }
  export interface Options {
    url: string
    connections?: number
    pipelining?: number
    duration?: number
    headers?: Record<string, string>
  }
  export interface Result {
    requests: Histogram
    latency: Histogram
    non2xx: number
    errors: number
    timeouts: number
    duration: number
  }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
