// Every area of the generated surface is reachable from Node: one successful call per area against the
// in-process sandbox, recorded by the sandbox at the operation's path.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { AutoSharesError } from '../index.mjs'
import { passwordClient, startSandbox, user } from './helpers.mjs'

test('every area answers through its generated wrapper', async (t) => {
  const sb = await startSandbox(t)
  const client = passwordClient(sb, 'trader')
  t.after(() => client.close())
  const id = user(sb, 'trader').accountIds[0]
  const [account] = await client.accounts.mine()
  const clearing = account.clearingAccount
  const calls = {
    users: [() => client.users.info('@me'), 'GET', '/v1.0/users/@me/info'],
    accounts: [() => client.accounts.balance(id), 'GET', `/v1.0/accounts/${id}/info`],
    agreements: [() => client.agreements.unsigned('@me'), 'GET', null],
    orders: [() => client.orders.list(id, { pageSize: 5 }), 'GET', `/v1.0/accounts/${id}/orders`],
    syncOrders: [() => client.syncOrders.list(id, { pageSize: 5 }), 'GET', `/v1.0/accounts/${id}/syncorders`],
    mutualFunds: [
      () => client.mutualFunds.previewBuy(clearing, { symbol: 'VFIAX', quantity: '100', quantityQualifier: 'EvenDollar' }),
      'POST',
      `/v1.0/accounts/${clearing}/preview/orders/mutual-funds/buy`,
    ],
    positions: [() => client.positions.bySymbol(id, 'AAPL'), 'GET', null],
    transactions: [() => client.transactions.allowedActivityTypes(id), 'GET', null],
    securities: [() => client.securities.equity('AAPL'), 'GET', '/v1.0/equities/AAPL'],
    history: [
      () => client.history.bars({ security: { symbol: 'AAPL' }, securityHistorySettings: { period: '1h', interval: 0, candlesCount: 24 } }),
      'PUT',
      '/v1.0/history/symbols',
    ],
    watchlists: [() => client.watchlists.list('@me', true), 'GET', null],
    priceAlerts: [() => client.priceAlerts.list('@me', { pageSize: 5 }), 'GET', null],
    achRelationships: [() => client.achRelationships.list(id, { pageSize: 5 }), 'GET', null],
    transfers: [() => client.transfers.list(id, { pageSize: 10 }), 'GET', null],
    ipo: [() => client.ipo.industries(), 'GET', null],
    news: [() => client.news.list('AAPL'), 'GET', null],
    streamers: [() => client.streamers.info(), 'GET', null],
  }
  assert.equal(Object.keys(calls).length, 17, 'all 17 areas with operations')
  for (const [area, [call, method, path]] of Object.entries(calls)) {
    assert.equal(typeof client[area], 'object', area)
    const before = sb.recordedRequests().length
    const v = await call().catch((e) => assert.fail(`${area}: ${e instanceof AutoSharesError ? `${e.code} ${e.status} ${e.message}` : e}`))
    assert.ok(v !== undefined && v !== null, area)
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
