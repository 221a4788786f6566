// Orders from JS go through core's validation and ClientId assignment, and money arrives exactly.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { AutoSharesError } from '../index.mjs'
import { passwordClient, rejection, startSandbox, user } from './helpers.mjs'

async function setup(t) {
  const sb = await startSandbox(t)
  const client = passwordClient(sb, 'trader')
  t.after(() => client.close())
  const id = user(sb, 'trader').accountIds[0]
  return { sb, client, id, path: `/v1.0/accounts/${id}/orders` }
}

const limit = { symbol: 'AAPL', side: 'Buy', type: 'Limit', quantity: 10, price: '10.15', timeInForce: 'Day' }

test('the price "10.15" arrives in the request body as exactly 10.15, with a ClientId', async (t) => {
  const { sb, client, id, path } = await setup(t)
  const order = await client.orders.place(id, limit)
  assert.equal(order.price, '10.15', 'the sandbox echoes the exact price')
  assert.equal(order.symbol, 'AAPL')
  const body = sb.lastRequestBody('POST', path)
  assert.ok(body, 'the order was sent')
  assert.match(body, /"Price":10\.15[,}]/, body)
  assert.match(body, /"Quantity":10[,}]/, body)
  assert.match(body, /"Side":"Buy"/)
  assert.match(body, /"Type":"Limit"/)
  const sent = JSON.parse(body)
  assert.equal(typeof sent.ClientId, 'string')
  assert.ok(sent.ClientId.length > 0, 'core assigns a ClientId')
})

test('decimal objects and exact numbers are sent as written', async (t) => {
  const { sb, client, id, path } = await setup(t)
  const price = { toString: () => '187.2500' }
  // Whether the paper engine accepts a fractional quantity does not matter here: what was sent does.
  await client.orders.place(id, { ...limit, price, quantity: '0.5' }).catch((e) => assert.ok(e instanceof AutoSharesError, String(e)))
  const body = sb.lastRequestBody('POST', path)
  assert.match(body, /"Price":187\.2500[,}]/, body)
  assert.match(body, /"Quantity":0\.5[,}]/, body)
})

test('0.1 + 0.2 is refused with VALIDATION naming the field, and nothing is sent', async (t) => {
  const { sb, client, id, path } = await setup(t)
  const err = await rejection(client.orders.place(id, { ...limit, price: 0.1 + 0.2 }))
  assert.ok(err instanceof AutoSharesError)
  assert.equal(err.code, 'VALIDATION')
  assert.equal(err.field, 'placeParams.price')
  assert.equal(sb.requestCount('POST', path), 0)
})

test('unknown enum values are refused with VALIDATION naming the field', async (t) => {
  const { sb, client, id, path } = await setup(t)
  const err = await rejection(client.orders.place(id, { ...limit, side: 'Sideways' }))
  assert.equal(err.code, 'VALIDATION')
  assert.equal(err.field, 'placeParams.side')
  assert.match(err.message, /Sideways/)
  const tif = await rejection(client.orders.place(id, { ...limit, timeInForce: 'Forever' }))
  assert.equal(tif.field, 'placeParams.timeInForce')
  assert.equal(sb.requestCount('POST', path), 0)
})

test("core's order rules apply: a limit order without a price is refused before sending", async (t) => {
  const { sb, client, id, path } = await setup(t)
  const { price: _, ...noPrice } = limit
  const err = await rejection(client.orders.place(id, noPrice))
  assert.equal(err.code, 'VALIDATION')
  assert.equal(sb.requestCount('POST', path), 0)
})

test('the order journal lets a restarted process finish reconciling an ambiguous place', async (t) => {
  const { mkdtempSync, statSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const sb = await startSandbox(t)
  const dir = mkdtempSync(join(tmpdir(), 'autoshares-journal-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const orderJournal = join(dir, 'orders.journal')
  const firstRun = sb.client({ user: 'trader', orderJournal })
  const [account] = await firstRun.accounts.mine()
  const path = `/v1.0/accounts/${account.id}/orders`
  // The place reaches the server but its answer is lost, and the order list cannot be read to reconcile it.
  sb.faults.inject({ method: 'GET', pathPrefix: path, status: 503, count: 1000 })
  sb.faults.inject({ method: 'POST', pathPrefix: path, status: 502, afterAct: true })
  const order = { symbol: 'AAPL', side: 'Buy', type: 'Limit', quantity: 2, price: '10.1500', timeInForce: 'Day', clientId: 'node-journal-1' }
  const err = await rejection(firstRun.orders.place(account.id, order))
  assert.equal(err.code, 'AMBIGUOUS_ORDER')
  sb.faults.clear()
  firstRun.close()
  assert.equal(statSync(orderJournal).mode & 0o777, 0o600)

  const restarted = sb.client({ user: 'trader', orderJournal })
  const [entry, ...rest] = await restarted.reconcileJournal()
  assert.deepEqual(rest, [])
  assert.equal(entry.operation, 'place')
  assert.equal(entry.accountId, account.id)
  assert.equal(entry.key, 'node-journal-1')
  assert.equal(entry.outcome, 'placed')
  assert.equal(entry.order.clientId, 'node-journal-1')
  assert.ok(entry.recordedAt instanceof Date)
  assert.match(entry.request, /"Price":10\.1500\b/, 'the body exactly as sent')
  const posts = sb.recordedRequests().filter((r) => r.method === 'POST' && r.path === path)
  assert.equal(posts.length, 1, 'reconciling sends nothing')
  assert.deepEqual(await restarted.reconcileJournal(), [], 'finished intents leave the journal')
  const none = await rejection(sb.client({ user: 'trader' }).reconcileJournal())
  assert.equal(none.code, 'CONFIG')
  restarted.close()
})
