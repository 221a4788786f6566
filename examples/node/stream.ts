// The stream's types: `StreamEvent` is a union discriminated by `type`, so a `switch` narrows each case (and the
// `never` check below fails to compile if a kind of event is left out). Type-checked with `tsc --noEmit
// --strict` (`make test`); the same flow runs in examples/node/stream.mjs.
// In your own project: `import { ... } from 'autoshares'`.
import {
  AutoSharesError,
  Sandbox,
  type Client,
  type ConnectionState,
  type DepthLevel,
  type MarketStream,
  type Order,
  type StreamConfigOptions,
  type StreamEvent,
  type StreamOptions,
  type StreamStats,
  type StreamTopic,
} from '../../bindings-node/index.js'

const config: StreamConfigOptions = { marketHours: 'always', staleAfterMs: 5_000, backoffMaxMs: 2_000 }

/** One line per event; every kind handled, each with its own fields. */
function describe(ev: StreamEvent): string {
  switch (ev.type) {
    case 'quote':
      return `${ev.quote.symbol ?? ev.securityId} bid ${ev.quote.bid ?? '-'} ask ${ev.quote.ask ?? '-'} (last size ${ev.lastSize ?? '-'})`
    case 'depth': {
      const best: DepthLevel | undefined = ev.bids[0]
      return `book ${ev.symbol ?? ev.securityId} #${ev.sequence}: best bid ${best?.price ?? '-'} x ${best?.size ?? '-'}`
    }
    case 'order': {
      const o: Order = ev.order
      return `order ${o.id ?? '?'} ${o.status ?? '?'} ${o.executedQuantity ?? '0'}/${o.quantity ?? '?'} (${ev.source})`
    }
    case 'position':
      return `position ${ev.position.symbol ?? '?'} ${ev.position.quantity ?? '0'} (${ev.source})`
    case 'accountBalance':
    case 'userBalance':
      return `${ev.type} ${ev.accountId ?? '?'}: cash ${ev.balance.cash ?? ev.cashBalance ?? '-'}`
    case 'watchlist':
      return `watchlist ${ev.watchlistId ?? '?'} ${ev.name ?? ''}${ev.isDeleted ? ' deleted' : ''}`
    case 'watchlistContent':
      return `watchlist ${ev.watchlistId ?? '?'}: +${ev.added.join(',')} -${ev.removed.join(',')}`
    case 'state': {
      const state: ConnectionState = ev.state
      return `${ev.streamer} streamer ${state}`
    }
    case 'stale':
      return `${ev.streamer} silent for ${ev.silentForMs} ms${ev.topic ? ` (${topicName(ev.topic)})` : ''}`
    case 'gap':
      return `${ev.streamer} down since ${ev.since.toISOString()} for ${ev.downForMs} ms`
    case 'reconciled':
      return `account ${ev.accountId} reconciled: ${ev.ordersChanged} orders, ${ev.positionsChanged} positions`
    case 'decode':
      return `undecodable ${ev.streamer} frame (${ev.field ?? '-'}): ${ev.message}`
    case 'subscriptionFailed':
      return `${topicName(ev.topic)} refused: ${ev.message}`
    case 'overflow':
      return `${ev.dropped} events not queued`
    case 'closed':
      return `${ev.streamer} closed: ${ev.message}`
    default: {
      const unhandled: never = ev
      return String(unhandled)
    }
  }
}

function topicName(t: StreamTopic): string {
  switch (t.type) {
    case 'quote':
    case 'depth':
      return `${t.type} ${t.symbol ?? t.securityId}`
    case 'orders':
    case 'positions':
    case 'accountBalance':
      return `${t.type} of ${t.accountId}`
    case 'userBalance':
    case 'watchlists':
      return `${t.type} of user ${t.userId}`
    case 'watchlistContent':
      return `watchlist ${t.watchlistId}`
  }
}

/** Streams until `orderId`'s fill has been seen, then leaves the loop (which closes the stream). */
async function untilFilled(stream: MarketStream, place: () => Promise<number | undefined>): Promise<Order | undefined> {
  let orderId: number | undefined
  for await (const ev of stream) {
    console.log(describe(ev))
    if (ev.type === 'quote' && orderId === undefined) orderId = await place()
    if (ev.type === 'order' && ev.order.id === orderId && ev.order.status === 'Filled') return ev.order
  }
  return undefined
}

async function main(): Promise<void> {
  const sb = await Sandbox.start()
  const client: Client = sb.client({ user: 'trader' })
  try {
    const account = (await client.accounts.mine()).find((a) => a.marginType === 'Margin')
    if (!account) throw new Error('no margin account')
    const options: StreamOptions = { quotes: ['AAPL', 'MSFT'], accounts: [account.id], config }
    const stream = await client.stream(options, { signal: AbortSignal.timeout(10_000) })
    await stream.ready({ signal: AbortSignal.timeout(10_000) })
    const topics: StreamTopic[] = stream.subscriptions()
    console.log(topics.map(topicName).join(', '))
    const filled = await untilFilled(stream, async () =>
      (await client.orders.place(account.id, { symbol: 'AAPL', side: 'Buy', type: 'Market', quantity: 1, timeInForce: 'Day' })).id)
    console.log(`filled at ${filled?.averagePrice ?? '?'}; quote streamer ${stream.state('quote')}`)
    // Callback style, typed per event type: `ev` is narrowed to the quote event.
    stream.on('quote', (ev) => { const bid: string | undefined = ev.quote.bid ?? undefined; void bid })
    const stats: StreamStats = stream.stats()
    console.log(`${stats.frames} frames, ${stats.reconnects} reconnects`)
    await stream.close()
  } catch (err) {
    if (err instanceof AutoSharesError && err.code === 'VALIDATION') console.error(`bad subscription ${err.field ?? ''}: ${err.message}`)
    else throw err
  } finally {
    client.close()
    sb.streams.clearFaults()
    await sb.close()
  }
}

void main()
