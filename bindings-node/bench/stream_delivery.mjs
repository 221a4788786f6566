// Events per second delivered to JS code from one sandbox stream: one `next()` Promise per event versus
// `for await`, which reads batches through `nextBatch()`. Same stream source, same process, in one run.
// Run: node bench/stream_delivery.mjs (after `npm run build`).
import { Sandbox } from '../index.mjs'

const sb = await Sandbox.start()
sb.streams.setQuoteRate(50000)
const c = sb.client({ user: 'trader' })
// Many securities, so that conflation (latest quote per security) does not cap what reaches JS.
const topics = Array.from({ length: 500 }, (_, i) => ({ type: 'quote', securityId: i + 1 }))
const seconds = Number(process.env.SECONDS ?? 3)

async function perEvent() {
  const s = await c.stream({ config: { marketHours: 'always' } })
  await s.subscribe(topics)
  await s.ready()
  await new Promise((r) => setTimeout(r, 300))
  let n = 0
  const end = Date.now() + seconds * 1000
  const cpu0 = process.cpuUsage()
  while (Date.now() < end) {
    const step = await s.next()
    if (step.done) break
    n++
  }
  const cpu = process.cpuUsage(cpu0)
  await s.close()
  return { rate: n / seconds, cpuPer1000: ((cpu.user + cpu.system) / n) * 1000 }
}

async function batched() {
  const s = await c.stream({ config: { marketHours: 'always' } })
  await s.subscribe(topics)
  await s.ready()
  await new Promise((r) => setTimeout(r, 300))
  let n = 0
  const end = Date.now() + seconds * 1000
  const cpu0 = process.cpuUsage()
  for await (const ev of s) {
    n++
    if (n % 64 === 0 && Date.now() >= end) break
    void ev
  }
  const cpu = process.cpuUsage(cpu0)
  return { rate: n / seconds, cpuPer1000: ((cpu.user + cpu.system) / n) * 1000 }
}

const rows = []
for (let round = 0; round < 2; round++) {
  rows.push(['next() per event', await perEvent()])
  rows.push(['for await (nextBatch)', await batched()])
}
for (const [name, r] of rows) console.log(`${name.padEnd(24)} ${Math.round(r.rate).toString().padStart(8)} events/s  ${Math.round(r.cpuPer1000)} us CPU / 1000 events`)
c.close()
await sb.close()
