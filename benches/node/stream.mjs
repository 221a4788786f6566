// Streaming into Node: Level I quotes delivered to user code per second from the sandbox's firehose. `autoshares`
// (`for await` over `client.stream()`, batches through `nextBatch()`, quotes conflated per security) against a
// hand-written client speaking the same protocol (GET /streamers, CreateSession.txt, Subscribe.txt) over the `ws`
// package or Node's WebSocket (undici; `--experimental-websocket` on Node 20) with JSON.parse.
//   node benches/node/stream.mjs --creds CREDS --client autoshares|ws|websocket [--symbols 100 --seconds 2]
// User code reads the security id and the bid of every quote. Prints one JSON line.
import { PACKAGE, Sandbox, args, cpuSeconds, emit, now, peakRssMib, securityIds } from './common.mjs'

class Window {
  constructor(warmup, seconds) {
    this.phaseEnd = now() + warmup
    this.seconds = seconds
    this.measuring = false
    this.events = 0
    this.frames0 = 0
  }

  // One event delivered; figures once the measured phase is over.
  event(frames) {
    this.events++
    if ((this.events & 255) !== 0 || now() < this.phaseEnd) return null
    if (!this.measuring) {
      this.measuring = true
      this.events = 0
      this.frames0 = frames()
      this.cpu0 = cpuSeconds()
      this.t0 = now()
      this.phaseEnd = this.t0 + this.seconds
      return null
    }
    const wall = now() - this.t0
    return {
      events: this.events,
      events_per_s: this.events / wall,
      frames_per_s: (frames() - this.frames0) / wall,
      cpu_us_per_1000: (((cpuSeconds() - this.cpu0) * 1e6) / this.events) * 1000,
      peak_rss_mib: peakRssMib(),
    }
  }
}

async function ours(sb, a) {
  const { Client } = await import(PACKAGE)
  const client = new Client({
    baseUrl: sb.url,
    appKey: sb.appKey,
    password: { username: sb.username, password: sb.password },
    useEnv: false,
  })
  const stream = await client.stream({ config: { marketHours: 'always' } })
  await stream.subscribe(securityIds(a.symbols).map((securityId) => ({ type: 'quote', securityId })))
  const w = new Window(a.warmup, a.seconds)
  const frames = () => Number(stream.stats().frames)
  let sink = 0
  for await (const ev of stream) {
    if (ev.type !== 'quote') continue
    sink += ev.securityId + (ev.quote.bid ? 1 : 0)
    const out = w.event(frames)
    if (out) {
      client.close()
      return out
    }
  }
  throw new Error(`the stream ended (${sink})`)
}

async function handWritten(sb, a, WebSocketClass) {
  const token = await sb.token()
  const r = await fetch(sb.url + '/v1.0/streamers', { headers: sb.headers(token) })
  const quote = (await r.json()).QuoteAddresses[0]
  const url = `${quote.Url}/CreateSession.txt?User=${sb.userId}&Password=${quote.SessionId}&HttpClientType=WebSocket`
  const ws = new WebSocketClass(url)
  const w = new Window(a.warmup, a.seconds)
  let session = null
  let subscribed = false
  let sink = 0
  return await new Promise((resolve, reject) => {
    ws.onerror = (e) => reject(new Error(String(e.message ?? e)))
    ws.onmessage = (msg) => {
      const m = JSON.parse(msg.data)
      if (session === null) {
        session = m.SessionId
        ws.send(
          JSON.stringify({
            Cmd: 'Subscribe.txt',
            SessionId: session,
            Keys: securityIds(a.symbols).join(';'),
            EntityType: 'Quote',
            HttpClientType: 'WebSocket',
          }),
        )
        return
      }
      if (!subscribed) {
        // The subscription's acknowledgement comes before the quotes.
        if (m.Cmd === 'Subscribe.txt') subscribed = m.StatusCode === 'Ok' || reject(new Error(JSON.stringify(m)))
        return
      }
      if (m.EntityType !== 'Quote') return
      sink += Number(m.Key) + (m.Bid ? 1 : 0)
      const out = w.event(() => 0)
      if (out) {
        out.frames_per_s = out.events_per_s
        ws.onmessage = null
        ws.close()
        resolve(out)
      }
    }
  })
}

const a = args()
const sb = new Sandbox(a.creds)
let out
if (a.client === 'autoshares') out = await ours(sb, a)
else if (a.client === 'ws') out = await handWritten(sb, a, (await import('ws')).WebSocket)
else if (a.client === 'websocket') out = await handWritten(sb, a, globalThis.WebSocket)
else throw new Error(`unknown client ${a.client}`)
emit(out)
process.exit(0)
