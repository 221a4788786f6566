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
