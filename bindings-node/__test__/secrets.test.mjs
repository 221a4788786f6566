// No secret in what a Node program can print: util.inspect of clients, options and errors, error messages
// and stacks, for a 2FA + PIN login, a stream, an OAuth login and failed logins; the tokens the sandbox issued too.
import assert from 'node:assert/strict'
import test from 'node:test'
import { inspect } from 'node:util'

import { browse, client, passwordClient, rejection, startSandbox, user } from './helpers.mjs'

test('clients, errors and their inspection carry no password, PIN, code, app key or client secret', async (t) => {
  const sb = await startSandbox(t)
  const shown = []
  const codes = []
  const u = user(sb, 'trader2fapin')
  const c = passwordClient(sb, 'trader2fapin', {
    verificationCode: () => {
      const code = sb.verificationCode('trader2fapin')
      codes.push(code)
      return code
    },
  })
  await c.users.me()
  shown.push(inspect(c, { depth: 6, showHidden: true }))
  const [account] = await c.accounts.mine()
  const stream = await c.stream({ quotes: ['AAPL'], accounts: [account.id] })
  await stream.ready()
  shown.push(inspect(stream, { depth: 6, showHidden: true }), inspect(await stream.nextBatch(64), { depth: 6 }))
  await stream.close()

  const { issuer, clientId, clientSecret } = sb.oauthClient
  const o = client(sb, { oauth: { issuer, clientId, clientSecret, browser: browse } })
  await o.users.me()
  shown.push(inspect(o, { depth: 6, showHidden: true }))

  for (const bad of [
    passwordClient(sb, 'trader', { password: 'wrong-password-7731' }),
    passwordClient(sb, 'traderpin', { pin: '9876' }),
    client(sb, { appKey: 'bad-app-key-5512', password: { username: u.username, password: u.password } }),
    client(sb, { oauth: { issuer, clientId, clientSecret: 'bad-secret-1199', browser: browse } }),
  ]) {
    const err = await rejection(bad.users.me())
    assert.ok(err.code, `a coded error: ${err}`)
    shown.push(err.message, String(err.stack), inspect(err, { depth: 6, showHidden: true }), JSON.stringify(err))
    bad.close()
  }
  c.close()
  o.close()

  const issued = sb.issuedCredentials()
  assert.ok(issued.length >= 4, 'session, interim and OAuth tokens were issued')
  const secrets = [u.password, u.pin, sb.appKey, clientSecret, 'wrong-password-7731', '9876', 'bad-app-key-5512', 'bad-secret-1199', ...codes, ...issued]
  assert.ok(codes.length >= 1, 'a verification code was used')
  const text = shown.join('\n')
  for (const secret of secrets) {
    assert.ok(secret && secret.length >= 4, 'a secret long enough to search for')
    assert.ok(!text.includes(secret), `a secret of ${secret.length} characters was printed`)
  }
})
