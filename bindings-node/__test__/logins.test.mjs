// Password (2FA, PIN) and OAuth (loopback, paste, two-step) logins against the in-process sandbox.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { browse, client, passwordClient, redirectOf, startSandbox, user } from './helpers.mjs'

test('password login, then every user and account operation', async (t) => {
  const sb = await startSandbox(t)
  const c = passwordClient(sb, 'trader')
  const me = await c.users.me()
  assert.equal(me.login, 'trader')
  assert.equal(typeof me.userId, 'number')
  assert.deepEqual(await c.users.info(me.userId), me)
  assert.deepEqual(await c.users.info('@me'), me)
  assert.equal((await c.users.byEmail(me.email)).userId, me.userId)

  const accounts = await c.accounts.mine()
  assert.deepEqual(accounts.map((a) => a.id), user(sb, 'trader').accountIds)
  assert.deepEqual(await c.accounts.ofUser(me.userId), accounts)
  assert.equal(accounts[0].owners[0].userId, me.userId)

  const account = await c.accounts.get(accounts[0].id)
  assert.equal(account.id, accounts[0].id)
  assert.equal(typeof account.cash, 'string', 'money is a decimal string')
  if (account.createdDate !== undefined) assert.ok(account.createdDate instanceof Date, 'times are Dates')

  const balance = await c.accounts.balance(accounts[0].id)
  assert.equal(balance.cash, '100000.00')
  assert.equal(balance.values.cash, balance.cash)
  assert.equal(c.tokenRequests(), 1, 'one login for all those calls')
  c.close()
})

test('2FA: the callback is called only when the server asks, with the challenge', async (t) => {
  const sb = await startSandbox(t)
  const challenges = []
  const verificationCode = async (challenge) => {
    challenges.push(challenge)
    return sb.verificationCode('trader2fa')
  }
  const c = passwordClient(sb, 'trader2fa', { verificationCode })
  assert.equal((await c.users.me()).login, 'trader2fa')
  assert.equal(challenges.length, 1)
  assert.equal(challenges[0].step, 'VerificationCode')
  assert.equal(typeof challenges[0].reason, 'string')

  let calls = 0
  const plain = passwordClient(sb, 'trader', { verificationCode: () => { calls++; return null } })
  await plain.users.me()
  assert.equal(calls, 0, 'no 2FA step, no call')
})

test('2FA and PIN together; a synchronous callback works too', async (t) => {
  const sb = await startSandbox(t)
  const c = passwordClient(sb, 'trader2fapin', { verificationCode: () => sb.verificationCode('trader2fapin') })
  assert.equal((await c.users.me()).login, 'trader2fapin')
  const pin = passwordClient(sb, 'traderpin')
  assert.equal((await pin.users.me()).login, 'traderpin')
})

test('sandbox clients answer 2FA and PIN by themselves, and can use OAuth', async (t) => {
  const sb = await startSandbox(t)
  for (const name of ['trader', 'trader2fa', 'traderpin', 'trader2fapin', 'other']) {
    assert.equal((await sb.client({ user: name }).users.me()).login, name)
  }
  const oauth = sb.client({ user: 'trader', login: 'oauth' })
  assert.equal((await oauth.users.me()).login, 'trader')
})

test('OAuth loopback: a JS browser callback receives the authorize URL', async (t) => {
  const sb = await startSandbox(t)
  const { issuer, clientId, clientSecret } = sb.oauthClient
  const opened = []
  const c = client(sb, {
    oauth: { issuer, clientId, clientSecret, browser: async (url) => { opened.push(url); await browse(url) } },
  })
  assert.equal((await c.users.me()).login, 'trader')
  assert.equal(opened.length, 1)
  const url = new URL(opened[0])
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
  assert.ok(url.searchParams.get('state'))
  assert.match(url.searchParams.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/callback$/)
})

test('OAuth paste mode', async (t) => {
  const sb = await startSandbox(t)
  const { issuer, clientId, clientSecret, redirectUris } = sb.oauthClient
  const c = client(sb, {
    oauth: { issuer, clientId, clientSecret, redirect: 'paste', redirectUri: redirectUris[0], paste: redirectOf },
  })
  assert.equal((await c.users.me()).login, 'trader')
})

test('OAuth in two steps: authorize URL, then the pasted redirect', async (t) => {
  const sb = await startSandbox(t)
  const { issuer, clientId, clientSecret, redirectUris } = sb.oauthClient
  const c = client(sb, { oauth: { issuer, clientId, clientSecret, redirectUri: redirectUris[0], browser: 'print' } })
  const pending = await c.oauthAuthorizationRequest()
  assert.equal(pending.redirectUri, redirectUris[0])
  await c.oauthComplete(pending, await redirectOf(pending.url))
  assert.equal((await c.users.me()).login, 'trader')
  assert.equal(c.tokenRequests(), 0, 'the installed token is used as is')

  // A redirect belongs to its own request.
  const first = await c.oauthAuthorizationRequest()
  const second = await c.oauthAuthorizationRequest()
  const err = await c.oauthComplete(second, await redirectOf(first.url)).catch((e) => e)
  assert.equal(err.code, 'AUTH')
  assert.equal(err.authKind, 'STATE_MISMATCH')
})

test('many clients, one per user, concurrently', async (t) => {
  const sb = await startSandbox(t)
  // Two clients per user (the 2FA users once each: the sandbox keeps only a user's latest code).
  const names = ['trader', 'trader', 'trader2fa', 'traderpin', 'traderpin', 'trader2fapin', 'other', 'other']
  const clients = names.map((n) => sb.client({ user: n }))
  const logins = await Promise.all(clients.map(async (c) => (await c.users.me()).login))
  assert.deepEqual(logins, names)
  const balances = await Promise.all(clients.map(async (c) => c.accounts.mine()))
  assert.equal(balances.length, clients.length)
  for (const c of clients) c.close()
})
