// Paged lists: options (pageNumber, pageSize, sort, typed filter) rendered by core, results as
// { result, totalCount, nextPageLink }, and `<method>Pages()` async iterators over every page.
import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'

import { AutoSharesError } from '../index.mjs'
import { client, passwordClient, rejection, startSandbox, user } from './helpers.mjs'

test('sort and filter options are sent in the endpoint\'s own spelling', async (t) => {
  const sb = await startSandbox(t)
  const c = passwordClient(sb, 'trader')
  t.after(() => c.close())
  const id = user(sb, 'trader').accountIds[0]
  const page = await c.orders.list(id, {
    pageNumber: 2,
    pageSize: 25,
    isReport: false,
    sort: { field: 'CreateDate', descending: true },
    filter: [
      { field: 'Symbol', op: 'eq', value: 'AAPL' },
      { field: 'Quantity', op: 'between', value: [1, { toString: () => '100.50' }] },
      { field: 'Status', op: 'in', value: [0, 1, 4] },
    ],
  })
  assert.deepEqual(page.result, [], 'no orders yet')
  const sent = sb.recordedRequests().filter((r) => r.path === `/v1.0/accounts/${id}/orders`).at(-1)
  const q = new URLSearchParams(sent.query)
  assert.equal(q.get('pageNumber'), '2')
  assert.equal(q.get('pageSize'), '25')
  assert.equal(q.get('isReport'), 'false')
  assert.equal(q.get('sortField'), 'CreateDate')
  assert.equal(q.get('desc'), 'true')
  assert.equal(q.get('filter'), "Symbol = 'AAPL' and Quantity between 1 and 100.5 and Status in (0, 1, 4)")
})

test('a malformed filter is a VALIDATION error and is never sent', async (t) => {
  const sb = await startSandbox(t)
  const c = passwordClient(sb, 'trader')
  t.after(() => c.close())
  const id = user(sb, 'trader').accountIds[0]
  const path = `/v1.0/accounts/${id}/orders`
  for (const [filter, field] of [
    [[{ field: 'Symbol', op: 'like', value: 'AA' }], 'filter[0]'],
    [[{ field: 'Symbol', op: 'eq', value: 'AAPL' }, { field: 'Qty', op: 'in', value: 3 }], 'filter[1]'],
    [[{ field: 'Price', op: 'gt', value: 0.1 + 0.2 }], 'filter[0]'],
    [[{ field: 'Sym bol', op: 'eq', value: 'A' }], null],
    [[], 'filter'],
  ]) {
    const err = await rejection(c.orders.list(id, { filter }))
    assert.ok(err instanceof AutoSharesError, JSON.stringify(filter))
    assert.equal(err.code, 'VALIDATION', JSON.stringify(filter))
    if (field) assert.equal(err.field, field, JSON.stringify(filter))
  }
  assert.equal(sb.requestCount('GET', path), 0)
})

/** A tiny AutoShares look-alike serving 5 orders in pages (the sandbox has no paged list yet). */
async function orderServer(t) {
  const seen = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x')
    res.setHeader('content-type', 'application/json')
    if (req.method === 'POST' && url.pathname === '/token') {
      return res.end(JSON.stringify({ State: 'Succeeded', Token: 'fake-token' }))
    }
    if (url.pathname === '/v1.0/accounts/7/orders') {
      seen.push(Object.fromEntries(url.searchParams))
      const n = Number(url.searchParams.get('pageNumber'))
      const size = Number(url.searchParams.get('pageSize'))
      const all = [0, 1, 2, 3, 4].map((i) => ({
        Id: i + 1,
        Symbol: 'AAPL',
        Side: 'Buy',
        Status: i === 4 ? 'Teleported' : 'Filled',
        Price: 10.15,
        Quantity: 10,
      }))
      const result = all.slice(n * size, n * size + size)
      return res.end(`{"Result":${JSON.stringify(result).replaceAll('10.15', '10.150')},"TotalCount":5,"NextPageLink":""}`)
    }
    res.statusCode = 404
    res.end('{}')
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const c = client({ url: `http://127.0.0.1:${server.address().port}`, appKey: 'k' }, { password: { username: 'u', password: 'p' } })
  t.after(() => c.close())
  return { c, seen }
}

test('listPages() walks every page lazily; unknown enum values in results pass through', async (t) => {
  const { c, seen } = await orderServer(t)
  const first = await c.orders.list(7, { pageSize: 2 })
  assert.equal(first.totalCount, 5)
  assert.equal(first.result.length, 2)
  assert.equal(first.nextPageLink, undefined)
  assert.equal(first.result[0].price, '10.150', 'decimals as exact strings')
  seen.length = 0

  const ids = []
  const statuses = []
  for await (const page of c.orders.listPages(7, { pageSize: 2, sort: { field: 'Id' } })) {
    for (const o of page.result) {
      ids.push(o.id)
      statuses.push(o.status)
    }
  }
  assert.deepEqual(ids, [1, 2, 3, 4, 5])
  assert.deepEqual(seen.map((q) => q.pageNumber), ['0', '1', '2'])
  assert.ok(seen.every((q) => q.sortField === 'Id' && q.desc === 'false'))
  assert.equal(statuses.at(-1), 'Teleported', 'an enum value newer than the SDK is kept')

  seen.length = 0
  for await (const page of c.orders.listPages(7, { pageSize: 2 })) {
    assert.equal(page.result.length, 2)
    break // stopping the loop fetches nothing more
  }
  assert.equal(seen.length, 1)
})
