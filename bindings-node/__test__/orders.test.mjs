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
