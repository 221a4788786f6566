// AbortSignal and close(): the Promise rejects with ABORTED / CLOSED and the Rust future is dropped.
import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'

import { AutoSharesError, Client } from '../index.mjs'
import { rejection, startSandbox } from './helpers.mjs'

/** A server that accepts connections and never answers: every call to it hangs until stopped. */
async function silentServer(t) {
  const sockets = new Set()
  const server = net.createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { for (const s of sockets) s.destroy(); server.close() })
  return { url: `http://127.0.0.1:${server.address().port}`, sockets }
}

function hangingClient(url) {
  return new Client({ baseUrl: url, ignoreEnv: true, maxRetries: 0, timeoutMs: 60000, password: { username: 'u', password: 'p' } })
}

test('an AbortSignal stops a call in flight at once', async (t) => {
  const { url } = await silentServer(t)
  const c = hangingClient(url)
  const controller = new AbortController()
  const started = Date.now()
  const pending = c.users.me({ signal: controller.signal })
  setTimeout(() => controller.abort(), 100)
  const err = await rejection(pending)
  assert.ok(err instanceof AutoSharesError)
  assert.equal(err.code, 'ABORTED')
  // The server never answers: only dropping the Rust future can settle the Promise this early. (hyper keeps
  // the half-used connection until the server closes it; nothing reads from it any more.)
  assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`)
})

test('an already aborted signal rejects at once and sends nothing', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader' })
  const err = await rejection(c.users.me({ signal: AbortSignal.abort() }))
  assert.equal(err.code, 'ABORTED')
  assert.equal(sb.tokenRequests(), 0)
  assert.equal((await c.users.me({ signal: new AbortController().signal })).login, 'trader', 'an unused signal changes nothing')
})

test('AbortSignal.timeout works too', async (t) => {
  const { url } = await silentServer(t)
  const err = await rejection(hangingClient(url).login({ signal: AbortSignal.timeout(50) }))
  assert.equal(err.code, 'ABORTED')
})

test('something else than an AbortSignal is refused', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader' })
  assert.throws(() => c.users.me({ signal: {} }))
})

test('close() rejects calls in flight and later calls with CLOSED', async (t) => {
  const { url } = await silentServer(t)
  const c = hangingClient(url)
  const pending = c.users.me()
  setTimeout(() => c.close(), 50)
  assert.equal((await rejection(pending)).code, 'CLOSED')
  assert.equal(c.closed, true)
  assert.equal((await rejection(c.accounts.mine())).code, 'CLOSED')
  c.close()
})

test('one long-lived signal can serve many calls (listeners are removed when calls settle)', async (t) => {
  const sb = await startSandbox(t)
  const c = sb.client({ user: 'trader' })
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  const shutdown = new AbortController()
  for (let i = 0; i < 30; i++) await c.users.me({ signal: shutdown.signal })
  await Promise.all(Array.from({ length: 5 }, () => c.accounts.mine({ signal: shutdown.signal })))
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(warnings.map((w) => w.name), [])
  // Still wired: aborting it stops the next call.
  const pending = c.users.me({ signal: shutdown.signal })
  shutdown.abort()
  const outcome = await pending.then(() => 'resolved', (e) => e.code)
  assert.ok(['ABORTED', 'resolved'].includes(outcome))
})
