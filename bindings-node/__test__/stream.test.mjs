// client.stream(): core's MarketStream as an async iterator of plain events, against the sandbox's streamers
// (loopback WebSockets) and their fault switches (sb.streams).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { AutoSharesError, MarketStream } from '../index.mjs'
import { passwordClient, rejection, startSandbox, user } from './helpers.mjs'

/** Test tuning: always open, fast reconnects, a short watchdog (as core's stream tests). */
const config = {
  staleAfterMs: 1500,
  marketHours: 'always',
  backoffInitialMs: 10,
  backoffMaxMs: 200,
  pingIntervalMs: 500,
  pongTimeoutMs: 1000,
}

async function setup(t) {
  const sb = await startSandbox(t)
  const client = passwordClient(sb, 'trader')
  t.after(() => client.close())
  const account = (await client.accounts.mine()).find((a) => a.marginType === 'Margin').id
  return { sb, client, account }
}

async function open(t, client, options) {
  const stream = await client.stream({ config, ...options })
  t.after(() => stream.close())
  return stream
}

/** The next event matching `pred` within `ms` (every event seen goes to `seen`, when given). */
async function waitFor(stream, what, pred, { ms = 10000, seen } = {}) {
  const deadline = Date.now() + ms
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`no ${what} within ${ms} ms`)
    let step
    try {
      step = await stream.next({ signal: AbortSignal.timeout(left) })
    } catch (err) {
      if (err instanceof AutoSharesError && err.code === 'ABORTED') throw new Error(`no ${what} within ${ms} ms`)
      throw err
    }
    if (step.done) throw new Error(`the stream ended while waiting for ${what}`)
    seen?.push(step.value)
    if (pred(step.value)) return step.value
  }
}

async function until(what, cond, ms = 10000) {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const marketBuy = (symbol, quantity) => ({ symbol, side: 'Buy', type: 'Market', quantity, timeInForce: 'Day' })

test('3 quotes and an account: quotes with exact decimals, then order, position, accountBalance in order', async (t) => {
  const { sb, client, account } = await setup(t)
  const stream = await open(t, client, { quotes: ['AAPL', 'MSFT', 'SPY'], accounts: [account] })
  assert.ok(stream instanceof MarketStream)
  const symbols = new Set()
  while (symbols.size < 3) {
    const q = await waitFor(stream, 'quotes', (e) => e.type === 'quote')
    assert.equal(typeof q.quote.bid, 'string')
    assert.match(q.quote.ask, /^\d+(\.\d+)?$/)
    assert.equal(typeof q.securityId, 'number')
    symbols.add(q.quote.symbol)
  }
  assert.deepEqual([...symbols].sort(), ['AAPL', 'MSFT', 'SPY'])
  assert.equal(stream.state('quote'), 'live')
  assert.deepEqual(stream.subscriptions().filter((s) => s.type === 'quote').map((s) => s.symbol).sort(), ['AAPL', 'MSFT', 'SPY'])

  const placed = await client.orders.place(account, marketBuy('AAPL', 10))
  const kinds = []
  let filled
  await waitFor(stream, 'order, position and balance events', (ev) => {
    if (ev.type === 'order' && ev.order.id === placed.id) {
      assert.equal(ev.source, 'live')
      if (ev.order.status === 'Filled') {
        filled = ev
        kinds.push('filled')
      } else kinds.push('order')
    } else if (ev.type === 'position' && kinds.includes('filled')) {
      assert.equal(ev.position.accountId, account)
      assert.equal(ev.position.securityId, 4)
      assert.equal(typeof ev.position.quantity, 'string')
      kinds.push('position')
    } else if (ev.type === 'accountBalance' && kinds.includes('position')) {
      assert.equal(ev.accountId, account)
      assert.equal(typeof ev.balance.cash, 'string', 'Items decoded into the balance')
      kinds.push('balance')
      return true
    }
    return false
  })
  assert.deepEqual(kinds.slice(kinds.indexOf('filled')), ['filled', 'position', 'balance'])
  assert.ok(filled.order.date instanceof Date, 'times are Dates, as in the REST models')
  // What arrived is what the sandbox produced for that order, decimals exactly as written on the wire.
  const records = sb.streams.dataMessagesForAccount(account).filter((r) => r.entityType === 'Order' && r.orderId === placed.id)
  const produced = records.map((r) => r.status)
  assert.equal(produced.at(-1), 'Filled')
  const wire = JSON.parse(records.at(-1).json)
  assert.equal(filled.order.executedQuantity, wire.ExecutedQuantity)
  assert.equal(filled.order.averagePrice, wire.AveragePrice)
  assert.equal(Number(filled.order.executedQuantity), 10)
  assert.equal(produced.length, kinds.filter((k) => k === 'order' || k === 'filled').length)
  assert.equal(stream.orders().find((o) => o.id === placed.id).status, 'Filled')
  assert.ok(stream.stats().frames > 0)
  await stream.close()
  assert.equal(stream.state('quote'), 'closed')
})

test('nextBatch() unpacks quote events into the very objects the native path builds', async (t) => {
  const { sb, client } = await setup(t)
  sb.streams.setQuoteRate(500)
  const stream = await open(t, client, { quotes: ['AAPL', 'MSFT', 'SPY'] })
  // Objects as napi builds them (next() is not packed), mixed with other events.
  const seen = []
  while (seen.filter((e) => e.type === 'quote').length < 6) {
    const step = await stream.next()
    assert.equal(step.done, false)
    seen.push(step.value)
  }
  const native = createRequire(import.meta.url)('../lib.cjs')
  const unpacked = native._unpackEvents(native._packEvents(seen))
  assert.deepStrictEqual(unpacked, seen)
  for (let i = 0; i < seen.length; i++) assert.deepEqual(Object.keys(unpacked[i]), Object.keys(seen[i]))
  // And what nextBatch() hands out has the same shape.
  const batch = await stream.nextBatch()
  const q = batch.find((e) => e.type === 'quote')
  assert.ok(q.quote.bid && q.quote.date instanceof Date && typeof q.securityId === 'number', JSON.stringify(q))
})

test('an unknown symbol or a foreign account rejects with VALIDATION before anything connects', async (t) => {
  const { sb, client } = await setup(t)
  const err = await rejection(client.stream({ quotes: ['NOSUCHSYM'], config }))
  assert.ok(err instanceof AutoSharesError)
  assert.equal(err.code, 'VALIDATION')
  assert.equal(err.field, 'symbol')
  assert.match(err.message, /NOSUCHSYM/)
  const foreign = user(sb, 'other').accountIds[0]
  const acc = await rejection(client.stream({ orders: [foreign] }))
  assert.equal(acc.code, 'VALIDATION')
  assert.equal(acc.field, 'account_id')
  const hours = await rejection(client.stream({ quotes: ['AAPL'], config: { marketHours: 'weekends' } }))
  assert.equal(hours.code, 'VALIDATION')
  assert.equal(hours.field, 'config.marketHours')
  const ping = await rejection(client.stream({ quotes: ['AAPL'], config: { pingIntervalMs: -5 } }))
  assert.equal(ping.field, 'config.pingIntervalMs')
  // A misspelt key would subscribe to nothing: it is refused (for JS callers; TypeScript catches it earlier).
  const typo = await rejection(client.stream({ quote: ['AAPL'] }))
  assert.equal(typo.code, 'VALIDATION')
  assert.equal(typo.field, 'quote')
  const configTypo = await rejection(client.stream({ quotes: ['AAPL'], config: { staleAfter: 500 } }))
  assert.equal(configTypo.field, 'config.staleAfter')
  const shape = await rejection(client.stream({ quotes: 'AAPL' }))
  assert.equal(shape.code, 'VALIDATION')
  assert.equal(sb.streams.connectionsAccepted(), 0)
})

test('subscribe() on a running stream checks its topics too, and sends nothing when they are bad', async (t) => {
  const { sb, client } = await setup(t)
  const stream = await open(t, client, { quotes: ['AAPL'] })
  await stream.ready({ signal: AbortSignal.timeout(10000) })
  // ready() means sent; wait until the sandbox has applied it too.
  await until('the AAPL subscription', () => sb.streams.quote.liveConnections()[0]?.subscriptions.length === 1)
  const commands = sb.streams.subscribeCommands()
  for (const [bad, field] of [
    [{ quotes: ['NOSUCHSYM'] }, 'symbol'],
    [{ quote: ['MSFT'] }, 'quote'],
    [[{ type: 'quote' }], 'topics[0].symbol'],
    [[{ type: 'nope', accountId: 1 }], 'topics'],
  ]) {
    const err = await rejection(stream.subscribe(bad))
    assert.ok(err instanceof AutoSharesError, String(err))
    assert.equal(err.code, 'VALIDATION', `${JSON.stringify(bad)}: ${err.message}`)
    assert.equal(err.field, field, JSON.stringify(bad))
  }
  assert.equal(sb.streams.subscribeCommands(), commands)
  assert.deepEqual(stream.subscriptions(), [{ type: 'quote', symbol: 'AAPL' }])
  const me = await client.users.me()
  await stream.subscribe({ userBalance: true, watchlists: true })
  assert.deepEqual(stream.subscriptions().filter((s) => s.type !== 'quote'), [
    { type: 'userBalance', userId: me.userId },
    { type: 'watchlists', userId: me.userId },
  ])
  await stream.unsubscribe(stream.subscriptions())
  assert.deepEqual(stream.subscriptions(), [])
})

test('a malformed frame is a decode event and the stream goes on', async (t) => {
  const { sb, client } = await setup(t)
  const stream = await open(t, client, { quotes: ['AAPL'] })
  await waitFor(stream, 'a quote', (e) => e.type === 'quote')
  sb.streams.quote.malformedOnce()
  const ev = await waitFor(stream, 'a decode event', (e) => e.type === 'decode')
  assert.equal(ev.streamer, 'quote')
  assert.ok(ev.message.length > 0)
  assert.equal(typeof ev.snippet, 'string')
  await waitFor(stream, 'a quote afterwards', (e) => e.type === 'quote')
  const stats = stream.stats()
  assert.equal(stats.reconnects, 0, 'a bad frame is no reason to reconnect')
  assert.equal(stats.decodeErrors, 1)
})

test('a dropped connection is recovered: state events, a gap, the same subscriptions', async (t) => {
  const { sb, client } = await setup(t)
  const stream = await open(t, client, { quotes: ['AAPL', 'MSFT'] })
  await waitFor(stream, 'a quote', (e) => e.type === 'quote')
  const quotes = sb.streams.quote
  quotes.dropEveryMessages(quotes.messagesSent() + 1)
  const seen = []
  await waitFor(stream, 'reconnecting', (e) => e.type === 'state' && e.streamer === 'quote' && e.state === 'reconnecting', { seen })
  quotes.dropEveryMessages(null)
  const gap = await waitFor(stream, 'the gap event', (e) => e.type === 'gap' && e.streamer === 'quote', { seen })
  assert.ok(gap.since instanceof Date)
  assert.equal(typeof gap.downForMs, 'number')
  assert.ok(gap.downForMs >= 0)
  const states = seen.filter((e) => e.type === 'state' && e.streamer === 'quote').map((e) => e.state)
  assert.ok(states.includes('reconnecting'), states.join())
  assert.ok(states.includes('recovered'), states.join())
  // The new connection carries both subscriptions again.
  await until('subscriptions restored', () => {
    const live = quotes.liveConnections()
    return live.length === 1 && live[0].subscriptions.length === 2
  })
  assert.ok(quotes.connections().some((c) => !c.open && c.closeReason === 'droppedAfterMessages'))
  assert.deepEqual(stream.subscriptions(), [
    { type: 'quote', symbol: 'AAPL' },
    { type: 'quote', symbol: 'MSFT' },
  ])
  await waitFor(stream, 'a quote after recovery', (e) => e.type === 'quote')
  assert.ok(stream.stats().reconnects >= 1)
  assert.ok(['live', 'recovered'].includes(stream.state('quote')))
})

test('a stalled socket is reported stale within the staleness time and recovered', async (t) => {
  const { sb, client } = await setup(t)
  const stream = await open(t, client, { quotes: ['AAPL'], config: { ...config, staleAfterMs: 800, pingIntervalMs: 60000 } })
  await waitFor(stream, 'a quote', (e) => e.type === 'quote')
  sb.streams.quote.stall(true)
  const stalledAt = Date.now()
  const stale = await waitFor(stream, 'a stale event', (e) => e.type === 'stale')
  assert.ok(Date.now() - stalledAt < 2100, `detected after ${Date.now() - stalledAt} ms`)
  assert.equal(stale.streamer, 'quote')
  assert.deepEqual(stale.topic, { type: 'quote', symbol: 'AAPL' })
  assert.ok(stale.silentForMs > 800)
  sb.streams.quote.stall(false)
  await waitFor(stream, 'recovery', (e) => e.type === 'state' && e.streamer === 'quote' && e.state === 'recovered')
  await waitFor(stream, 'a quote after recovery', (e) => e.type === 'quote')
})

test('Level II books arrive whole and best first; an environment without depth is a subscriptionFailed', async (t) => {
  const { sb, client } = await setup(t)
  sb.streams.setQuoteRate(200)
  const stream = await open(t, client, { depth: ['AAPL'] })
  const book = await waitFor(stream, 'a book', (e) => e.type === 'depth')
  assert.equal(book.securityId, 4)
  assert.equal(book.symbol, 'AAPL')
  assert.ok(book.bids.length > 0 && book.asks.length > 0)
  assert.equal(typeof book.bids[0].price, 'string')
  assert.ok(Number(book.bids[0].price) < Number(book.asks[0].price))
  sb.streams.quote.skipDepthSequenceOnce()
  await until('a resync', () => {
    while (stream.tryNext()) {} // take what is queued without waiting
    return stream.stats().depthResyncs > 0
  })
  await stream.close()

  sb.streams.setDepthSilent(true)
  const silent = await open(t, client, { depth: ['MSFT'], quotes: ['MSFT'], config: { ...config, depthTimeoutMs: 500 } })
  const failed = await waitFor(silent, 'the depth failure', (e) => e.type === 'subscriptionFailed')
  assert.deepEqual(failed.topic, { type: 'depth', symbol: 'MSFT' })
  assert.match(failed.message, /market depth is not offered/)
  assert.deepEqual(silent.subscriptions(), [{ type: 'quote', symbol: 'MSFT' }])
  await waitFor(silent, 'a quote', (e) => e.type === 'quote')
})

test('a slow consumer gets the latest quote, not a backlog', async (t) => {
  const { sb, client } = await setup(t)
  sb.streams.setQuoteRate(10000)
  const stream = await open(t, client, { quotes: ['AAPL'] })
  await waitFor(stream, 'a quote', (e) => e.type === 'quote')
  const before = sb.streams.quote.messagesSent()
  await new Promise((r) => setTimeout(r, 1000))
  const arrived = sb.streams.quote.messagesSent() - before
  assert.ok(arrived >= 2000, `only ${arrived} quotes were sent in 1 s`)
  let queued = 0
  for (let ev = stream.tryNext(); ev; ev = stream.tryNext()) if (ev.type === 'quote') queued += 1
  assert.equal(queued, 1, `one conflated quote, not ${arrived}`)
  assert.ok(stream.stats().conflatedQuotes >= arrived / 2)
})

test('subscriptions change while a for-await loop waits, and close() ends the loop', async (t) => {
  const { sb, client, account } = await setup(t)
  const stream = await open(t, client, { orders: [account] })
  const events = []
  const loop = (async () => {
    for await (const ev of stream) events.push(ev)
    return 'ended'
  })()
  await stream.ready({ signal: AbortSignal.timeout(10000) })
  assert.equal(stream.state('data'), 'live')
  await stream.subscribe({ quotes: ['TSLA'] })
  await until('a TSLA quote', () => events.some((e) => e.type === 'quote' && e.quote.symbol === 'TSLA'))
  await stream.unsubscribe([{ type: 'quote', symbol: 'TSLA' }])
  assert.deepEqual(stream.subscriptions(), [{ type: 'orders', accountId: account }])
  const placed = await client.orders.place(account, marketBuy('MSFT', 1))
  await until('the fill', () => events.some((e) => e.type === 'order' && e.order.id === placed.id && e.order.status === 'Filled'))
  // A refused subscription is reported, not silent.
  await stream.subscribe([{ type: 'watchlistContent', watchlistId: 987654 }])
  await until('the refusal', () => events.some((e) => e.type === 'subscriptionFailed'))
  const failed = events.find((e) => e.type === 'subscriptionFailed')
  assert.deepEqual(failed.topic, { type: 'watchlistContent', watchlistId: 987654 })
  await stream.close()
  assert.equal(await loop, 'ended')
  assert.deepEqual(await stream.next(), { done: true, value: undefined })
  assert.equal(sb.streams.liveConnections().length, 0)
})

test('breaking out of for-await closes the stream', async (t) => {
  const { sb, client } = await setup(t)
  const stream = await client.stream({ quotes: ['AAPL'], config })
  let n = 0
  for await (const ev of stream) {
    if (ev.type === 'quote' && ++n === 3) break
  }
  assert.equal(stream.state('quote'), 'closed')
  assert.equal(stream.state('data'), 'closed')
  // Events queued before the close can still be taken (core's rule); then the stream is done.
  const rest = []
  for await (const ev of stream) rest.push(ev.type)
  assert.ok(rest.length < 10, rest.join())
  assert.equal((await stream.next()).done, true)
  await until('the sandbox sees the connections closed', () => sb.streams.liveConnections().length === 0)
})

test('a process that streams and breaks out of the loop exits by itself', () => {
  const entry = fileURLToPath(new URL('../index.mjs', import.meta.url))
  const script = `import { Sandbox } from ${JSON.stringify(entry)}
    const sb = await Sandbox.start()
    const client = sb.client({ user: 'trader' })
    const stream = await client.stream({ quotes: ['AAPL', 'MSFT'], config: { marketHours: 'always' } })
    let n = 0
    for await (const ev of stream) if (ev.type === 'quote' && ++n === 5) break
    console.log('quotes', n)`
  const started = Date.now()
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 })
  const ms = Date.now() - started
  assert.equal(r.signal, null, `killed after ${ms} ms: ${r.stderr}`)
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /quotes 5/)
  assert.ok(ms < 15000, `took ${ms} ms`)
})
