// What every Node benchmark driver shares: its command line, the sandbox it is pointed at, the raw login the
// hand-written baselines do, and the figures each run reports (one JSON line on stdout). benches/run.py starts the
// sandbox in its own process and runs each driver as a child process pinned to the client core.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

// The REST calls every language measures (the same as benches/src/bin/rest.rs).
export const PATHS = {
  list: '/v1.0/accounts/{account}/orders?pageNumber=0&pageSize=50',
  equity: '/v1.0/equities/AAPL',
}

// The package measured: this checkout's, or another build of it (BENCH_NODE_PACKAGE, benches/run.py's "before").
export const PACKAGE = process.env.BENCH_NODE_PACKAGE
  ? new URL(`file://${process.env.BENCH_NODE_PACKAGE}`).href
  : new URL('../../bindings-node/index.mjs', import.meta.url).href

export function args() {
  const { values } = parseArgs({
    options: {
      creds: { type: 'string' },
      client: { type: 'string' },
      call: { type: 'string', default: 'equity' },
      'in-flight': { type: 'string', default: '1' },
      seconds: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '0.3' },
      symbols: { type: 'string', default: '500' },
    },
  })
  return {
    creds: values.creds,
    client: values.client,
    call: values.call,
    inFlight: Number(values['in-flight']),
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    symbols: Number(values.symbols),
  }
}

// The first `n` securities of the sandbox: its 36 listed ones (ids 1 to 36), then options (from id 100001).
export function securityIds(n) {
  const listed = Array.from({ length: Math.min(n, 36) }, (_, i) => i + 1)
  return listed.concat(Array.from({ length: Math.max(0, n - 36) }, (_, i) => 100001 + i))
}

export class Sandbox {
  constructor(path) {
    const c = JSON.parse(readFileSync(path, 'utf8'))
    this.url = c.url
    this.appKey = c.app_key
    const t = c.users.find((u) => u.username === 'trader')
    this.username = t.username
    this.password = t.password
    this.userId = t.user_id
    this.account = t.account_ids[0]
  }

  path(call) {
    return PATHS[call].replace('{account}', String(this.account))
  }

  // POST /token as a hand-written client does it (Username/Password headers).
  async token() {
    const r = await fetch(this.url + '/token', {
      method: 'POST',
      headers: { 'Et-App-Key': this.appKey, Username: this.username, Password: this.password },
    })
    if (!r.ok) throw new Error(`login: ${r.status}`)
    return (await r.json()).Token
  }

  headers(token) {
    return { Authorization: `Bearer ${token}`, 'Et-App-Key': this.appKey, Accept: 'application/json' }
  }
}

// User + system CPU seconds of the whole process (libuv and tokio threads included).
export function cpuSeconds() {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

export function peakRssMib() {
  return process.resourceUsage().maxRSS / 1024
}

export const now = () => performance.now() / 1000

export function restFigures(latenciesNs, wall, cpu) {
  const n = latenciesNs.length
  const lat = Float64Array.from(latenciesNs).sort()
  const pct = (p) => (n ? lat[Math.floor((n - 1) * p)] / 1000 : 0)
  return {
    requests: n,
    rps: n / wall,
    p50_us: pct(0.5),
    p99_us: pct(0.99),
    cpu_us_per_1000: n ? ((cpu * 1e6) / n) * 1000 : 0,
    peak_rss_mib: peakRssMib(),
  }
}

export function emit(figures) {
  process.stdout.write(JSON.stringify(figures) + '\n')
}
