// Streaming: quotes of three symbols and the events of an account over the sandbox's streamers (in-process,
// loopback WebSockets). Prints a few quotes, places a market order and prints its fill, the position and the
// balance that follow. Run it with `node examples/node/stream.mjs` after `make node-build`.
// In your own project: `import { Sandbox } from 'autoshares'` (or `new Client({...})` for a real environment).
import { Sandbox } from '../../bindings-node/index.mjs'

const sb = await Sandbox.start()
const client = sb.client({ user: 'trader' })
try {
  const account = (await client.accounts.mine()).find((a) => a.marginType === 'Margin')
  // The sandbox's market never closes, so the staleness watchdog counts every second.
  const stream = await client.stream({
    quotes: ['AAPL', 'MSFT', 'SPY'],
    accounts: [account.id],
    config: { marketHours: 'always' },
  })
  let quotes = 0
  let orderId
  let filled = false
  const deadline = setTimeout(() => stream.close(), 20_000) // give up after 20 s
  for await (const ev of stream) {
    switch (ev.type) {
      case 'quote':
        if (++quotes <= 6) {
          const q = ev.quote
          console.log(`quote ${q.symbol.padEnd(5)} bid ${q.bid} ask ${q.ask} last ${q.last}`)
        }
        if (quotes === 6 && orderId === undefined) {
          const placed = await client.orders.place(account.id, {
            symbol: 'AAPL', side: 'Buy', type: 'Market', quantity: 10, timeInForce: 'Day',
          })
          orderId = placed.id
          console.log(`placed order ${orderId}: buy 10 AAPL at market`)
        }
        break
      case 'order':
        if (ev.order.id === orderId) {
          const o = ev.order
          console.log(`order ${o.id} ${o.status}: ${o.executedQuantity} filled at ${o.averagePrice ?? '-'}`)
          filled ||= o.status === 'Filled'
        }
        break
      case 'position':
        console.log(`position ${ev.position.symbol}: ${ev.position.quantity} shares`)
        break
      case 'accountBalance':
        console.log(`balance of ${ev.accountId}: cash ${ev.balance.cash}`)
        if (filled) {
          // After a fill the streamer sends Order, then Position, then AccountBalance: that was the last one.
          clearTimeout(deadline)
          await stream.close() // the loop ends once the queued events are taken
        }
        break
      case 'gap':
        console.log(`${ev.streamer} streamer was down ${Math.round(ev.downForMs)} ms; orders are reconciled`)
        break
      default:
        break
    }
  }
  const s = stream.stats()
  console.log(`${s.frames} frames, ${s.conflatedQuotes} quotes conflated, ${s.reconnects} reconnects`)
} finally {
  client.close()
  await sb.close()
}
