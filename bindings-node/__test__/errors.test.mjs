// Every error code, produced by a real failure, readable as err.code after await.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { AutoSharesError, Client } from '../index.mjs'
import { client, passwordClient, rejection, startSandbox, user } from './helpers.mjs'

function isCoded(err, code) {
  assert.ok(err instanceof AutoSharesError, `${err} is an AutoSharesError`)
  assert.ok(err instanceof Error)
  assert.equal(err.name, 'AutoSharesError')
  assert.equal(err.code, code, err.message)
  return err
}

test('wrong app key: AUTH / INVALID_APP_KEY', async (t) => {
  const sb = await startSandbox(t)
  const u = user(sb, 'trader')
  const c = client(sb, { appKey: 'not-the-key', password: { username: u.username, password: u.password } })
  const err = isCoded(await rejection(c.users.me()), 'AUTH')
  assert.equal(err.authKind, 'INVALID_APP_KEY')
})

test('wrong password: AUTH / INVALID_CREDENTIALS, with the step', async (t) => {
  const sb = await startSandbox(t)
  const c = client(sb, { password: { username: 'trader', password: 'wrong' } })
  const err = isCoded(await rejection(c.login()), 'AUTH')
  assert.equal(err.authKind, 'INVALID_CREDENTIALS')
  assert.equal(typeof err.step, 'string')
  assert.ok(!err.message.includes('wrong'), 'no secret in the message')
})

test('wrong PIN, missing PIN, expired password, wrong and missing 2FA code', async (t) => {
  const sb = await startSandbox(t)
  const cases = [
    [passwordClient(sb, 'traderpin', { pin: '0000' }), 'PIN_INVALID'],
    [client(sb, { password: { username: 'traderpin', password: 'traderpin-pass' } }), 'PIN_REQUIRED'],
    [passwordClient(sb, 'expired'), 'PASSWORD_EXPIRED'],
    [passwordClient(sb, 'trader2fa', { verificationCode: '000000' }), 'VERIFICATION_CODE_INVALID'],
    [passwordClient(sb, 'trader2fa', { verificationCode: async () => undefined }), 'VERIFICATION_CODE_REQUIRED'],
    [passwordClient(sb, 'trader2fa'), 'VERIFICATION_CODE_REQUIRED'],
  ]
  for (const [c, authKind] of cases) {
    const err = isCoded(await rejection(c.users.me()), 'AUTH')
    assert.equal(err.authKind, authKind)
  }
})

test('a throwing verification-code callback fails the login with CANCELLED', async (t) => {
  const sb = await startSandbox(t)
  const c = passwordClient(sb, 'trader2fa', { verificationCode: async () => { throw new Error('user closed the prompt') } })
  const err = isCoded(await rejection(c.users.me()), 'AUTH')
  assert.equal(err.authKind, 'CANCELLED')
  assert.match(err.message, /user closed the prompt/)
})

test('503 from the server: API with status and request id (after the retries)', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader', maxRetries: 1 })
  await c.login()
  sb.faults.inject({ pathPrefix: '/v1.0/users', status: 503, count: 2 })
  const err = isCoded(await rejection(c.users.me()), 'API')
  assert.equal(err.status, 503)
  assert.equal(err.operation, 'Users_GetUserInfo')
  assert.match(err.requestId, /\S/)
  assert.equal(sb.faults.injectedCount, 2, 'one try and one retry')
  // A retry gets through a transient fault.
  sb.faults.inject({ pathPrefix: '/v1.0/users', status: 503, count: 1 })
  assert.equal((await c.users.me()).login, 'trader')
})

test('429: RATE_LIMITED with retryAfter in seconds', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader', maxRetries: 0 })
  await c.login()
  sb.faults.inject({ method: 'GET', pathPrefix: '/v1.0/accounts', status: 429, retryAfter: '7' })
  const id = user(sb, 'trader').accountIds[0]
  const err = isCoded(await rejection(c.accounts.balance(id)), 'RATE_LIMITED')
  assert.equal(err.status, 429)
  assert.equal(err.retryAfter, 7)
})

test('validation: nothing is sent, the field is named', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader' })
  let err = isCoded(await rejection(c.accounts.get(-5)), 'VALIDATION')
  assert.equal(err.field, 'account_id')
  err = isCoded(await rejection(c.users.byEmail('not-an-address')), 'VALIDATION')
  assert.equal(err.field, 'email')
  err = isCoded(await rejection(c.users.info('someone')), 'VALIDATION')
  assert.equal(err.field, 'userId')
  assert.equal(sb.tokenRequests(), 0, 'not even a login')
})

test("someone else's account is refused", async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader' })
  const err = await rejection(c.accounts.balance(user(sb, 'other').accountIds[0]))
  assert.ok(err instanceof AutoSharesError)
  assert.ok(['AUTH', 'API'].includes(err.code), err.message)
  if (err.code === 'AUTH') assert.equal(err.authKind, 'ACCESS_DENIED')
  else assert.ok([403, 404].includes(err.status))
})

test('configuration errors throw synchronously with CONFIG and the field', () => {
  let err = isCoded(grab(() => new Client({ baseUrl: 'http://example.com', ignoreEnv: true })), 'CONFIG')
  assert.equal(err.field, 'base_url')
  err = isCoded(grab(() => new Client({ environment: 'live', ignoreEnv: true, appKey: 'k' })), 'CONFIG')
  err = isCoded(grab(() => new Client({ environment: 'moon', ignoreEnv: true })), 'CONFIG')
  err = isCoded(grab(() => new Client({ ignoreEnv: true, password: { username: 'a', password: 'b' }, oauth: { issuer: 'http://127.0.0.1:1', clientId: 'x' } })), 'CONFIG')
  assert.equal(err.field, 'login')
})

function grab(fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

test('nothing listening: TRANSPORT', async () => {
  const c = new Client({ baseUrl: 'http://127.0.0.1:9', ignoreEnv: true, maxRetries: 0, password: { username: 'a', password: 'b' } })
  isCoded(await rejection(c.users.me()), 'TRANSPORT')
})

test('a malformed token file: TOKEN_STORE', async (t) => {
  const sb = await startSandbox(t)
  const dir = mkdtempSync(join(tmpdir(), 'autoshares-'))
  const tokenFile = join(dir, 'tokens.json')
  writeFileSync(tokenFile, 'this is not json', { mode: 0o600 })
  const u = user(sb, 'trader')
  const c = client(sb, { tokenFile, password: { username: u.username, password: u.password } })
  isCoded(await rejection(c.users.me()), 'TOKEN_STORE')
})

test('an order whose outcome stays unknown: AMBIGUOUS_ORDER with the clientId (nothing placed twice)', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader' })
  const id = user(sb, 'trader').accountIds[0]
  await c.login()
  // Both attempts fail before the server acts; the reconciliation reads find no order with the ClientId.
  sb.faults.inject({ method: 'POST', pathPrefix: `/v1.0/accounts/${id}/orders`, status: 503, count: 2 })
  const order = { symbol: 'AAPL', side: 'Buy', type: 'Limit', quantity: 1, price: '12.34', timeInForce: 'Day', clientId: 'node-ambiguous-1' }
  const err = isCoded(await rejection(c.orders.place(id, order)), 'AMBIGUOUS_ORDER')
  assert.equal(err.clientId, 'node-ambiguous-1')
  assert.equal(err.operation, 'place')
  const page = await c.orders.list(id, { pageSize: 500 })
  assert.equal(page.result.filter((o) => o.clientId === 'node-ambiguous-1').length, 0)
})

test('a server that never answers: TIMEOUT', async (t) => {
  const net = await import('node:net')
  const sockets = []
  const server = net.createServer((s) => sockets.push(s)) // accepts, never answers
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => { for (const s of sockets) s.destroy(); server.close() })
  const c = new Client({ baseUrl: `http://127.0.0.1:${server.address().port}`, ignoreEnv: true, appKey: 'k', timeoutMs: 300, maxRetries: 0, password: { username: 'a', password: 'b' } })
  isCoded(await rejection(c.users.me()), 'TIMEOUT')
  c.close()
})

test('a body of the wrong shape: DECODE', async (t) => {
  const http = await import('node:http')
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json')
    if (req.url === '/token') res.end(JSON.stringify({ State: 'Succeeded', Token: 't0k3n' }))
    else res.end(JSON.stringify({ UserId: 'seven' }))
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const c = new Client({ baseUrl: `http://127.0.0.1:${server.address().port}`, ignoreEnv: true, appKey: 'k', maxRetries: 0, password: { username: 'a', password: 'b' } })
  isCoded(await rejection(c.users.me()), 'DECODE')
  c.close()
})

test('subscribing on a stream that has stopped: STREAM', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader' })
  const stream = await c.stream({ quotes: ['AAPL'], config: { marketHours: 'always' } })
  await stream.ready()
  await stream.close()
  isCoded(await rejection(stream.subscribe({ quotes: ['MSFT'] })), 'STREAM')
  c.close()
})
