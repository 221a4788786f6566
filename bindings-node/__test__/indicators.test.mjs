// Technical indicators from Node: computeIndicators (the Rust core) against definitions written out here in plain
// JavaScript, on the sandbox's bars, to 1e-9 relative error; the sandbox's server-side indicators (asked with
// indicatorSignature) against the local ones; signatures and specs checked by the core.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { AutoSharesError, computeIndicators, indicatorSignature } from '../index.mjs'
import { passwordClient, startSandbox } from './helpers.mjs'

const BARS = 400
const TOLERANCE = 1e-9

// |a - b| / max(|a|, |b|, floor): relative error, except that values within `floor` (1e-3 of the reference column's
// largest magnitude) of zero are compared at that scale: only the MACD line and histogram, which cross zero, get there.
function maxRelError(mine, reference, fromRow = 0) {
  assert.equal(mine.length, reference.length)
  const floor = 1e-3 * Math.max(0, ...Array.from(reference).filter((v) => v != null && !Number.isNaN(v)).map(Math.abs))
  let worst = 0
  for (let i = fromRow; i < mine.length; i++) {
    const [a, b] = [mine[i], reference[i]]
    assert.equal(Number.isNaN(a), b == null || Number.isNaN(b), `row ${i}: ${a} vs ${b}`)
    if (Number.isNaN(a)) continue
    const scale = Math.max(Math.abs(a), Math.abs(b), floor)
    if (scale) worst = Math.max(worst, Math.abs(a - b) / scale)
  }
  return worst
}

// The references: each definition, written the plain way.
const sma = (x, n) => x.map((_, i) => (i < n - 1 ? NaN : x.slice(i + 1 - n, i + 1).reduce((s, v) => s + v, 0) / n))
function emaFrom(x, n) {
  const a = 2 / (n + 1)
  const out = []
  x.forEach((v, i) => out.push(i === 0 ? v : a * v + (1 - a) * out[i - 1]))
  return out
}
const ema = (x, n) => emaFrom(x, n).map((v, i) => (i < n - 1 ? NaN : v))
function wilderRsi(x, n) {
  const out = x.map(() => NaN)
  let g = 0
  let l = 0
  for (let i = 1; i <= n; i++) {
    const d = x[i] - x[i - 1]
    g += Math.max(d, 0) / n
    l += Math.max(-d, 0) / n
  }
  const rsi = () => (l === 0 ? 100 : 100 - 100 / (1 + g / l))
  out[n] = rsi()
  for (let i = n + 1; i < x.length; i++) {
    const d = x[i] - x[i - 1]
    g = (g * (n - 1) + Math.max(d, 0)) / n
    l = (l * (n - 1) + Math.max(-d, 0)) / n
    out[i] = rsi()
  }
  return out
}

test('computeIndicators matches plain JavaScript definitions on the sandbox bars', async (t) => {
  const sb = await startSandbox(t)
  const client = passwordClient(sb, 'trader')
  t.after(() => client.close())
  const h = await client.history.bars({
    security: { symbol: 'AAPL' },
    securityHistorySettings: { period: '1h', interval: 0, candlesCount: BARS },
  })
  const candles = h.securityHistory.flat()
  assert.equal(candles.length, BARS)
  const close = candles.map((c) => Number(c.close))
  const high = candles.map((c) => Number(c.high))
  const low = candles.map((c) => Number(c.low))
  const volume = candles.map((c) => Number(c.volume))
  const cols = computeIndicators(h, { sma: 20, ema: [12, 26], rsi: 14, macd: true, bollinger: [20, 2], vwap: [true, 20], atr: 14 })
  assert.deepEqual(Object.keys(cols), [
    'sma_20', 'ema_12', 'ema_26', 'rsi_14', 'macd_12_26_9', 'macd_signal_12_26_9', 'macd_hist_12_26_9',
    'bb_middle_20_2', 'bb_upper_20_2', 'bb_lower_20_2', 'vwap', 'vwap_20', 'atr_14',
  ])
  for (const c of Object.values(cols)) {
    assert.ok(c instanceof Float64Array)
    assert.equal(c.length, BARS)
  }
  const report = {}
  const check = (name, reference, fromRow = 0) => {
    const e = maxRelError(cols[name], reference, fromRow)
    report[name] = e.toExponential(3)
    assert.ok(e <= TOLERANCE, `${name}: ${e}`)
  }
  check('sma_20', sma(close, 20))
  check('ema_12', ema(close, 12))
  check('ema_26', ema(close, 26))
  check('rsi_14', wilderRsi(close, 14))
  const slow = emaFrom(close, 26)
  const line = emaFrom(close, 12).map((v, i) => v - slow[i])
  const signal = emaFrom(line.slice(25), 9)
  const sig = line.map((_, i) => (i < 33 ? NaN : signal[i - 25]))
  check('macd_12_26_9', line.map((v, i) => (i < 25 ? NaN : v)))
  check('macd_signal_12_26_9', sig)
  check('macd_hist_12_26_9', line.map((v, i) => v - sig[i]))
  const mid = sma(close, 20)
  const sd = close.map((_, i) => {
    if (i < 19) return NaN
    const w = close.slice(i - 19, i + 1)
    return Math.sqrt(w.reduce((s, v) => s + (v - mid[i]) ** 2, 0) / 20)
  })
  check('bb_middle_20_2', mid)
  check('bb_upper_20_2', mid.map((m, i) => m + 2 * sd[i]))
  check('bb_lower_20_2', mid.map((m, i) => m - 2 * sd[i]))
  const tp = close.map((c, i) => (high[i] + low[i] + c) / 3)
  let pv = 0
  let vol = 0
  check('vwap', tp.map((p, i) => ((pv += p * volume[i]), (vol += volume[i]), pv / vol)))
  check('vwap_20', tp.map((_, i) => {
    if (i < 19) return NaN
    let a = 0
    let b = 0
    for (let j = i - 19; j <= i; j++) {
      a += tp[j] * volume[j]
      b += volume[j]
    }
    return a / b
  }))
  const tr = close.map((_, i) =>
    i === 0 ? high[0] - low[0] : Math.max(high[i] - low[i], Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1])))
  const atr = close.map(() => NaN)
  atr[13] = tr.slice(0, 14).reduce((s, v) => s + v, 0) / 14
  for (let i = 14; i < BARS; i++) atr[i] = (atr[i - 1] * 13 + tr[i]) / 14
  check('atr_14', atr)
  console.log(`computeIndicators vs plain JS over ${BARS} sandbox bars, max relative error per column:`, report)

  // Any rows work too (numbers or decimal strings), and the session VWAP uses their times.
  const rows = candles.map((c) => ({ open: c.open, high: Number(c.high), low: c.low, close: c.close, volume: c.volume, time: c.time }))
  const again = computeIndicators(rows, { rsi: 14, vwap: 'session' })
  assert.deepEqual(Array.from(again.rsi_14), Array.from(cols.rsi_14))
  assert.ok(Number.isFinite(again.vwap_session[0]))
})

test('server-side indicators from signatures agree with computeIndicators', async (t) => {
  const sb = await startSandbox(t)
  const client = passwordClient(sb, 'trader')
  t.after(() => client.close())
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000)
  const settings = { period: '1h', interval: 0, candlesCount: BARS, endDate: end }
  const bars = await client.history.bars({ security: { symbol: 'AAPL' }, securityHistorySettings: settings })
  const cases = [
    [indicatorSignature('RSI', '1h', [14]), { rsi: 14 }, ['rsi_14']],
    [indicatorSignature('MACD', '1h', [12, 26, 9]), { macd: true }, ['macd_12_26_9', 'macd_signal_12_26_9', 'macd_hist_12_26_9']],
    [indicatorSignature('Bollinger', '1h', [20, 2]), { bollinger: true }, ['bb_middle_20_2', 'bb_upper_20_2', 'bb_lower_20_2']],
    [indicatorSignature('ATR', '1h', [14]), { atr: 14 }, ['atr_14']],
  ]
  // Ask the server to show the candles after the local warm-up: it computes from exactly that warm-up before them.
  const local = cases.map(([, spec]) => computeIndicators(bars, spec))
  const warm = cases.map(([, , names], i) => Math.max(...names.map((n) => local[i][n].findIndex((v) => !Number.isNaN(v)))))
  const served = await client.history.bars({
    security: { symbol: 'AAPL' },
    securityHistorySettings: settings,
    indicatorsHistorySettings: cases.map(([signature], i) => ({ signature, interval: 0, candlesCount: BARS - warm[i], endDate: end })),
  })
  const times = served.securityHistory.flat().map((c) => c.time.getTime())
  assert.deepEqual(times, bars.securityHistory.flat().map((c) => c.time.getTime()))
  const report = {}
  cases.forEach(([signature, , names], i) => {
    const byTime = new Map(served.indicatorsHistory[i].map((p) => [p.date.getTime(), p.values.map(Number)]))
    assert.equal(byTime.size, BARS - warm[i], `${signature}: a value at every candle shown`)
    names.forEach((name, k) => {
      const theirs = times.map((t) => (byTime.has(t) ? byTime.get(t)[k] : NaN))
      const e = maxRelError(local[i][name], theirs, warm[i])
      report[name] = e.toExponential(3)
      assert.ok(e <= TOLERANCE, `${name} vs ${signature}: ${e}`)
    })
  })
  console.log(`server-side (sandbox) vs computeIndicators, max relative error per column:`, report)
})

test('signatures and specs are checked by the core', () => {
  assert.equal(indicatorSignature('MACD', '4h', [12, 26, 9]), 'MACD|4h|false|12|26|9')
  assert.equal(indicatorSignature('Bollinger', '1h', [22, 2]), 'Bollinger|1h|false|22|2|0')
  assert.equal(indicatorSignature('RSI', '1D', [14], { signalLine: true }), 'RSI|1D|true|14')
  const fails = (fn, field) =>
    assert.throws(fn, (e) => e instanceof AutoSharesError && e.code === 'VALIDATION' && e.field === field)
  fails(() => indicatorSignature('MACD', '4h', [26, 12, 9]), 'signature.fast')
  fails(() => indicatorSignature('SMA', '1h', [0]), 'signature.period')
  fails(() => indicatorSignature('SMA', '7x', [10]), 'period')
  fails(() => indicatorSignature('SAR', '1h', [1, 1]), 'signature')
  const bars = [1, 2, 3, 4].map((c) => ({ close: String(c) }))
  assert.deepEqual(Array.from(computeIndicators(bars, { sma: 2 }).sma_2), [NaN, 1.5, 2.5, 3.5])
  fails(() => computeIndicators(bars, { macd: [26, 12, 9] }), 'macd.fast')
  fails(() => computeIndicators(bars, { sma: -1 }), 'sma.period')
  fails(() => computeIndicators(bars, { atr: 2 }), 'bars[0].high')
  fails(() => computeIndicators(bars, { smma: 2 }), 'spec.smma')
  fails(() => computeIndicators([{ close: 'abc' }], { sma: 1 }), 'bars[0].close')
})
