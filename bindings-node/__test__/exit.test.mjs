// After close(), nothing native keeps the process alive: a child process exits by itself.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const entry = fileURLToPath(new URL('../index.mjs', import.meta.url))

function runChild(body) {
  const script = `import { Client, Sandbox } from ${JSON.stringify(entry)}\n${body}\nconsole.log('done')`
  const started = Date.now()
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 })
  return { ...r, ms: Date.now() - started }
}

test('the process exits by itself after close()', () => {
  const r = runChild(`
    const sb = await Sandbox.start()
    const c = sb.client({ user: 'trader2fa' })
    await c.users.me()
    const cb = new Client({ baseUrl: sb.url, appKey: sb.appKey, ignoreEnv: true,
      password: { username: 'trader2fa', password: 'trader2fa-pass', verificationCode: async () => sb.verificationCode('trader2fa') } })
    await cb.accounts.mine()
    c.close(); cb.close()
    await sb.close()
  `)
  assert.equal(r.signal, null, `killed after ${r.ms} ms: ${r.stderr}`)
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /done/)
  assert.ok(r.ms < 10000, `took ${r.ms} ms`)
})

test('a client that is merely dropped does not keep the process alive either', () => {
  const r = runChild(`
    const sb = await Sandbox.start()
    await sb.client({ user: 'trader' }).users.me()
  `)
  assert.equal(r.signal, null, r.stderr)
  assert.equal(r.status, 0, r.stderr)
})

test('the process exits by itself after client.close() with a stream open (the stream is closed with it)', () => {
  const r = runChild(`
    const sb = await Sandbox.start()
    const c = sb.client({ user: 'trader' })
    const stream = await c.stream({ quotes: ['AAPL'], config: { marketHours: 'always' } })
    await stream.ready()
    const first = await stream.next()
    if (first.done) throw new Error('no event')
    c.close()
    // The stream ends: queued events drain, then done (or the waiting read is rejected as CLOSED).
    for (;;) {
      try {
        const step = await stream.next()
        if (step.done) break
      } catch (err) {
        if (err.code !== 'CLOSED') throw err
        break
      }
    }
    // The close started by client.close() finishes in the background.
    for (let i = 0; i < 100 && stream.state('quote') !== 'closed'; i++) await new Promise((r) => setTimeout(r, 50))
    console.log('state', stream.state('quote'))
    await sb.close()
  `)
  assert.equal(r.signal, null, `killed after ${r.ms} ms: ${r.stderr}`)
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /state closed/)
  assert.ok(r.ms < 15000, `took ${r.ms} ms`)
})

test("callback style: stream.on('quote'), on('event') and on('end')", () => {
  const r = runChild(`
    const sb = await Sandbox.start()
    const c = sb.client({ user: 'trader' })
    const stream = await c.stream({ quotes: ['AAPL'], config: { marketHours: 'always' } })
    const seen = { quote: 0, event: 0 }
    await new Promise((resolve, reject) => {
      stream
        .on('quote', (ev) => { seen.quote++; if (ev.quote.symbol !== 'AAPL') reject(new Error(ev.quote.symbol)) })
        .on('event', () => { seen.event++; if (seen.quote >= 2) stream.close() })
        .on('error', reject)
        .on('end', resolve)
    })
    console.log('quotes', seen.quote, 'events', seen.event)
    c.close()
    await sb.close()
  `)
  assert.equal(r.signal, null, `killed after ${r.ms} ms: ${r.stderr}`)
  assert.equal(r.status, 0, r.stderr)
  const m = r.stdout.match(/quotes (\d+) events (\d+)/)
  assert.ok(m, r.stdout + r.stderr)
  assert.ok(Number(m[1]) >= 2 && Number(m[2]) >= Number(m[1]), r.stdout)
})
