// `make soak`, Node part: the same bounded soak as tests/soak/src/main.rs, driven through the npm package.
//
// An in-process Sandbox with every fault on at once (5xx, 429, 502 after acting, bodies cut after acting,
// truncated JSON, latency spikes, stream drops); four concurrent workers on one Client mix reads, order placement,
// replaces and cancels while a MarketStream follows three symbols and the account. At the end, with the faults
// off, the client's view is compared with the sandbox's records, and the last line reads
//
//   soak: ops=<n> faults=<n> duplicate_orders=<n> lost_events=<n> subscriptions_restored=<n>/<n> panics=<n>
//
// The exit status is non-zero when duplicates, lost events, unrestored subscriptions, a crash of the addon (a
// Rust panic) or an error that is not an AutoSharesError occurred. SOAK_SECONDS sets the length (default 60).
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Sandbox, AutoSharesError } = require('../../bindings-node')

const SYMBOLS = ['AAPL', 'MSFT', 'SPY', 'TSLA']
const QUOTES = ['AAPL', 'MSFT', 'SPY']

/** A small seeded generator (mulberry32), so a run's mix of operations repeats. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const tally = { ops: 0, errors: new Map(), untyped: [], panics: 0, placed: [], ambiguous: 0 }

function failed(err) {
  if (err instanceof AutoSharesError) {
    tally.errors.set(err.code, (tally.errors.get(err.code) ?? 0) + 1)
    if (err.code === 'AMBIGUOUS_ORDER') tally.ambiguous += 1
  } else if (/panic/i.test(String(err?.message))) {
    tally.panics += 1
  } else {
    tally.untyped.push(`${err?.name}: ${err?.message}`)
  }
}

async function worker(c, account, seed, until) {
  const random = rng(seed)
  const resting = []
  while (Date.now() < until) {
    tally.ops += 1
    const roll = Math.floor(random() * 100)
    const symbol = SYMBOLS[Math.floor(random() * SYMBOLS.length)]
    try {
      if (roll < 30) await c.accounts.balance(account)
      else if (roll < 45) await c.positions.list(account, { pageSize: 50 })
      else if (roll < 55) await c.orders.list(account, { pageSize: 50 })
      else if (roll < 65) await c.securities.equity(symbol)
      else if (roll < 80) {
        const clientId = randomUUID().replaceAll('-', '')
        // A market order (fills) or a limit far below the market (rests).
        const order = random() < 0.5
          ? { symbol, side: 'Buy', type: 'Market', quantity: 1, timeInForce: 'Day', clientId }
          : { symbol, side: 'Buy', type: 'Limit', quantity: 1, price: '10.00', timeInForce: 'Day', clientId }
        const entry = [clientId, null]
        tally.placed.push(entry)
        const placed = await c.orders.place(account, order)
        entry[1] = placed.id ?? null
        if (placed.type === 'Limit' && placed.id != null) resting.push(placed.id)
      } else if (roll < 90) {
        if (resting.length) {
          const id = resting.pop()
          const replaced = await c.orders.replace(account, id, { id, price: '11.00' })
          if (replaced.id != null) resting.push(replaced.id)
        }
      } else if (resting.length) {
        await c.orders.cancel(account, resting.pop())
      }
    } catch (err) {
      failed(err)
    }
  }
}

async function follow(stream, until, kinds) {
  while (Date.now() < until) {
    const left = Math.max(1, until - Date.now())
    const timer = AbortSignal.timeout(Math.min(200, left))
    let batch = []
    try {
      batch = await stream.nextBatch(1024, { signal: timer })
    } catch (err) {
      if (err?.code !== 'ABORTED') throw err
    }
    for (const ev of batch) kinds.set(ev.type, (kinds.get(ev.type) ?? 0) + 1)
  }
}

const seconds = Number(process.env.SOAK_SECONDS ?? 60)
const sb = await Sandbox.start()
const c = sb.client({ user: 'trader', timeoutMs: 3000 })
const account = (await c.accounts.mine()).find((a) => a.marginType === 'Margin').id
sb.streams.setQuoteRate(500)
const stream = await c.stream({
  quotes: QUOTES,
  accounts: [account],
  config: { marketHours: 'always', staleAfterMs: 3000, backoffInitialMs: 50, backoffMaxMs: 2000 },
})
await stream.ready()

sb.faults.setChaos({
  seed: 13,
  serverErrors: 0.03,
  rateLimited: 0.01,
  errorsAfterAct: 0.02,
  resetsAfterAct: 0.01,
  malformed: 0.01,
  latencyMs: 1,
  spikes: 0.01,
  spikeMs: 400,
})
sb.streams.quote.dropEveryMessages(3000)
sb.streams.data.dropEveryMessages(40)

const until = Date.now() + seconds * 1000
const kinds = new Map()
await Promise.all([follow(stream, until, kinds), ...[0, 1, 2, 3].map((w) => worker(c, account, 100 + w, until))])

// Faults off; let reconnects and reconciliation settle.
sb.faults.setChaos(null)
sb.streams.clearFaults()
await follow(stream, Date.now() + 8000, kinds)
const faults = sb.faults.counts()
const conns = sb.streams.connections()
const streamDrops = conns.filter((r) => !r.open).length

// Duplicates: a ClientId the sandbox holds twice.
const byCid = new Map()
for await (const page of c.orders.listPages(account, { pageSize: 200 })) {
  for (const o of page.result) if (o.clientId) byCid.set(o.clientId, (byCid.get(o.clientId) ?? 0) + 1)
}
const duplicateOrders = tally.placed.filter(([cid]) => (byCid.get(cid) ?? 0) > 1).length

// Lost events: the last status the sandbox produced per order vs the stream's view.
const produced = new Map()
for (const r of sb.streams.dataMessagesForAccount(account)) {
  if (r.entityType === 'Order' && r.orderId != null && r.status != null) produced.set(r.orderId, r.status)
}
const view = new Map(stream.orders().map((o) => [o.id, o.status ?? null]))
const lost = [...produced].filter(([id, st]) => view.get(id) !== st)
for (const [id, st] of lost.slice(0, 10)) {
  console.log(`soak: order ${id}: sandbox's last status ${st}, client's view ${view.get(id)}`)
}

// Subscriptions: every connection that delivered had the whole desired set; everything live at the end.
const desired = new Set(await Promise.all(QUOTES.map(async (s) => String((await c.securities.equity(s)).id))))
const delivering = conns.filter((r) => r.messagesSent > 0)
const restored = delivering.filter((r) => {
  if (r.streamer === 'quote') {
    const keys = new Set(r.subscriptions.map((s) => s.key))
    return keys.size === desired.size && [...keys].every((k) => desired.has(k))
  }
  return r.subscriptions.length === 3
}).length
const liveAtEnd = sb.streams.liveConnections().length
await stream.close()
await c.close()
await sb.close()

const confirmed = tally.placed.filter(([, id]) => id != null).length
console.log(
  `soak (node): ${seconds} s; faults by kind: 5xx=${faults.serverErrors} 429=${faults.rateLimited} ` +
    `after_act=${faults.errorsAfterAct} reset_after_act=${faults.resetsAfterAct} malformed=${faults.malformed} ` +
    `spikes=${faults.spikes} stream_drops=${streamDrops}`,
)
console.log(
  `soak (node): errors by kind: ${JSON.stringify(Object.fromEntries([...tally.errors].sort()))}; ` +
    `untyped: ${JSON.stringify(tally.untyped.slice(0, 5))}`,
)
console.log(
  `soak (node): orders placed ${tally.placed.length} (confirmed ${confirmed}, ambiguous outcomes ${tally.ambiguous}); ` +
    `stream events ${JSON.stringify(Object.fromEntries([...kinds].sort()))}; live connections at the end ${liveAtEnd}`,
)
console.log(
  `soak: ops=${tally.ops} faults=${faults.total + streamDrops} duplicate_orders=${duplicateOrders} ` +
    `lost_events=${lost.length} subscriptions_restored=${restored}/${delivering.length} panics=${tally.panics}`,
)
const ok = duplicateOrders === 0 && lost.length === 0 && restored === delivering.length && liveAtEnd === 2 &&
  tally.panics === 0 && tally.untyped.length === 0
process.exit(ok ? 0 : 1)
