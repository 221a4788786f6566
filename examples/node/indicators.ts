// Technical indicators from TypeScript: the server's (asked by a signature the core builds and checks) and the
// core's own over the same bars, as Float64Arrays. Type-checked with `tsc --noEmit --strict` (`make test`) against
// the generated `index.d.ts`. In your own project: `import { ... } from 'autoshares'`.
import {
  Client,
  computeIndicators,
  indicatorSignature,
  type ChartHistory,
  type ChartPeriod,
  type IndicatorSpec,
} from '../../bindings-node/index.js'

/** The last RSI(14) of `symbol`, from the server and from the core, on `period` candles. */
export async function lastRsi(client: Client, symbol: string, period: ChartPeriod): Promise<[number, number]> {
  const history: ChartHistory = await client.history.bars({
    security: { symbol },
    securityHistorySettings: { period, interval: 0, candlesCount: 200 },
    indicatorsHistorySettings: [{ signature: indicatorSignature('RSI', period, [14]) }],
  })
  const spec: IndicatorSpec = { rsi: 14, macd: true, bollinger: [20, 2], vwap: 'session' }
  const columns: Record<string, Float64Array> = computeIndicators(history, spec)
  const server = history.indicatorsHistory[0]?.at(-1)?.values[0]
  return [Number(server), columns.rsi_14?.at(-1) ?? Number.NaN]
}
