// Node REST: the `autoshares` package against global `fetch` (undici) with `JSON.parse`, same calls, N in flight.
//   node benches/node/rest.mjs --creds CREDS --client autoshares|fetch --call equity|list --in-flight 64
// Each result is read as user code would (the equity's symbol, the last order's id). Prints one JSON line.
import { PACKAGE, Sandbox, args, cpuSeconds, emit, now, restFigures } from './common.mjs'

async function drive(call, inFlight, seconds) {
  const latencies = []
  const deadline = now() + seconds
  const worker = async () => {
    for (;;) {
      const t = process.hrtime.bigint()
      await call()
      latencies.push(Number(process.hrtime.bigint() - t))
      if (now() >= deadline) return
    }
  }
  const cpu0 = cpuSeconds()
  const t0 = now()
  await Promise.all(Array.from({ length: inFlight }, worker))
  return [latencies, now() - t0, cpuSeconds() - cpu0]
}

async function autosharesCalls(sb, what) {
  const { Client } = await import(PACKAGE)
  const client = new Client({
    baseUrl: sb.url,
    appKey: sb.appKey,
    password: { username: sb.username, password: sb.password },
    useEnv: false,
  })
  const account = sb.account
  const call =
    what === 'list'
      ? async () => (await client.orders.list(account, { pageSize: 50 })).result.at(-1).id
      : async () => (await client.securities.equity('AAPL')).symbol
  return [call, () => client.close()]
}

async function fetchCalls(sb, what) {
  const headers = sb.headers(await sb.token())
  const url = sb.url + sb.path(what)
  const call =
    what === 'list'
      ? async () => {
          const r = await fetch(url, { headers })
          if (!r.ok) throw new Error(`${r.status}`)
          return JSON.parse(await r.text()).Result.at(-1).Id
        }
      : async () => {
          const r = await fetch(url, { headers })
          if (!r.ok) throw new Error(`${r.status}`)
          return JSON.parse(await r.text()).Symbol
        }
  return [call, () => {}]
}

const CLIENTS = { autoshares: autosharesCalls, fetch: fetchCalls }

const a = args()
const sb = new Sandbox(a.creds)
const [call, close] = await CLIENTS[a.client](sb, a.call)
await call()
await drive(call, a.inFlight, a.warmup)
const [latencies, wall, cpu] = await drive(call, a.inFlight, a.seconds)
const figures = restFigures(latencies, wall, cpu)
await close()
emit(figures)
process.exit(0)
