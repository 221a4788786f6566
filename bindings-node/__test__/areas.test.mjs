// Every area of the generated surface is reachable from Node: one call per area against the in-process sandbox.
// The sandbox's routes for most areas are still being merged; there the call must reach the sandbox (the
// request is recorded at the operation's path) and reject with the typed `API` error and status 404.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { AutoSharesError } from '../index.mjs'
import { passwordClient, startSandbox, user } from './helpers.mjs'

test('every area answers through its generated wrapper', async (t) => {
  const sb = await startSandbox(t)
  const client = passwordClient(sb, 'trader')
  t.after(() => client.close())
  const id = user(sb, 'trader').accountIds[0]
  const served = new Set(['users', 'accounts'])
  const calls = {
    users: [() => client.users.info('@me'), 'GET', '/v1.0/users/@me/info'],
    accounts: [() => client.accounts.balance(id), 'GET', `/v1.0/accounts/${id}/info`],
    agreements: [() => client.agreements.unsigned('@me'), 'GET', null],
    orders: [() => client.orders.get(id, 1), 'GET', `/v1.0/accounts/${id}/orders/1`],
    syncOrders: [() => client.syncOrders.get(id, 1), 'GET', null],
    mutualFunds: [() => client.mutualFunds.cancel('5DP05506', 1), 'DELETE', null],
    positions: [() => client.positions.bySymbol(id, 'AAPL'), 'GET', null],
    transactions: [() => client.transactions.allowedActivityTypes(id), 'GET', null],
    securities: [() => client.securities.equity('AAPL'), 'GET', null],
    history: [() => client.history.bars({ symbol: 'AAPL' }), 'PUT', null],
    watchlists: [() => client.watchlists.list('@me', true), 'GET', null],
    priceAlerts: [() => client.priceAlerts.get('@me', 1), 'GET', null],
    achRelationships: [() => client.achRelationships.get(id, '3fa85f64-5717-4562-b3fc-2c963f66afa6'), 'GET', null],
    transfers: [() => client.transfers.list(id, { pageSize: 10 }), 'GET', null],
    ipo: [() => client.ipo.industries(), 'GET', null],
    news: [() => client.news.list('AAPL'), 'GET', null],
    streamers: [() => client.streamers.info(), 'GET', null],
  }
  assert.equal(Object.keys(calls).length, 17, 'all 17 areas with operations')
  for (const [area, [call, method, path]] of Object.entries(calls)) {
    assert.equal(typeof client[area], 'object', area)
    const before = sb.recordedRequests().length
    if (served.has(area)) {
      const v = await call()
      assert.ok(v && typeof v === 'object', area)
    } else {
      const err = await call().then(() => null, (e) => e)
      assert.ok(err instanceof AutoSharesError, `${area}: ${err}`)
      assert.equal(err.code, 'API', `${area}: ${err.message}`)
      assert.equal(err.status, 404, area)
    }
    const sent = sb.recordedRequests().slice(before).filter((r) => r.path.startsWith('/v1.0/'))
    assert.ok(sent.length >= 1, `${area}: a request reached the sandbox`)
    assert.equal(sent.at(-1).method, method, area)
    if (path) assert.equal(sent.at(-1).path, path, area)
  }
})

test('generated results convert: decimals as strings, enums as strings, times as Date', async (t) => {
  const sb = await startSandbox(t)
  const client = passwordClient(sb, 'trader')
  t.after(() => client.close())
  const [account] = await client.accounts.ofUser('@me')
  assert.equal(typeof account.id, 'number')
  assert.ok(['Cash', 'Margin', 'DayTrader', 'MarginIra', 'Empty'].includes(account.marginType), account.marginType)
  const info = await client.users.info('@me')
  assert.ok(info.addedDate === undefined || info.addedDate instanceof Date)
  const balance = await client.accounts.balance(account.id)
  assert.match(balance.cash, /^-?\d+(\.\d+)?$/)
})
