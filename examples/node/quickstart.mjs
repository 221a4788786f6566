// Quickstart: start the sandbox in-process, log in with a password (then with OAuth + PKCE), print the user
// and their accounts. Run it with `make demo` (or `node examples/node/quickstart.mjs` after `make node-build`).
// In your own project: `import { Client, Sandbox } from 'autoshares'`.
import { AutoSharesError, Client, Sandbox } from '../../bindings-node/index.mjs'

const sb = await Sandbox.start()
try {
  // 1. Password login. The 2FA code callback runs only if the server asks for one (trader2fa would).
  const client = new Client({
    baseUrl: sb.url,
    appKey: sb.appKey,
    ignoreEnv: true,
    password: {
      username: 'trader',
      password: 'trader-pass',
      verificationCode: async (challenge) => {
        console.log(`${challenge.reason}: the sandbox knows the code`)
        return sb.verificationCode('trader')
      },
    },
  })
  const me = await client.users.me()
  console.log(`password login: ${me.firstName} ${me.lastName} (user ${me.userId}, ${me.email})`)
  for (const account of await client.accounts.mine()) {
    const balance = await client.accounts.balance(account.id)
    console.log(`  account ${account.id} ${account.clearingAccount} ${account.marginType}: cash ${balance.cash}, buying power ${balance.stockBuyingPower}`)
  }

  // 2. OAuth 2.0 with PKCE: the redirect comes back to an ephemeral 127.0.0.1 port. A person would see the
  //    system browser open; here a fetch() plays the browser, and the sandbox's IdP approves `trader`.
  const { issuer, clientId, clientSecret } = sb.oauthClient
  const oauth = new Client({
    baseUrl: sb.url,
    appKey: sb.appKey,
    ignoreEnv: true,
    oauth: { issuer, clientId, clientSecret, browser: async (url) => { await (await fetch(url)).arrayBuffer() } },
  })
  const viaOAuth = await oauth.users.me()
  console.log(`OAuth login: ${viaOAuth.login}, ${(await oauth.accounts.mine()).length} accounts`)

  // 3. Errors carry a stable code.
  try {
    await new Client({ baseUrl: sb.url, appKey: sb.appKey, ignoreEnv: true, password: { username: 'trader', password: 'nope' } }).login()
  } catch (err) {
    if (!(err instanceof AutoSharesError)) throw err
    console.log(`a wrong password fails with code ${err.code} / ${err.authKind}`)
  }
  client.close()
  oauth.close()
} finally {
  await sb.close()
}
