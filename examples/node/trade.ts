// A typed walk through what a trading service does first: log in as a user, find an account with enough
// buying power for an order, and handle failures by their code. Type-checked with `tsc --noEmit --strict`
// (`make test`) against the generated `index.d.ts`. Orders themselves arrive with core's Orders area.
// In your own project: `import { ... } from 'autoshares'`.
import {
  AutoSharesError,
  Client,
  Sandbox,
  toDecimal,
  type AccountBalance,
  type DecimalLike,
  type UserAccount,
} from '../../bindings-node/index.js'

interface Candidate {
  account: UserAccount
  balance: AccountBalance
}

/** The first account whose stock buying power covers `quantity × price` (compared exactly, as decimals). */
async function pickAccount(client: Client, quantity: DecimalLike, price: DecimalLike, signal?: AbortSignal): Promise<Candidate | undefined> {
  const needed = Number(toDecimal(quantity, 'quantity')) * Number(toDecimal(price, 'price'))
  for (const account of await client.accounts.mine({ signal })) {
    const balance = await client.accounts.balance(account.id, { signal })
    if (balance.stockBuyingPower !== undefined && Number(balance.stockBuyingPower) >= needed) {
      return { account, balance }
    }
  }
  return undefined
}

async function main(): Promise<void> {
  const sb: Sandbox = await Sandbox.start()
  const client = new Client({
    baseUrl: sb.url,
    appKey: sb.appKey,
    ignoreEnv: true,
    timeoutMs: 10_000,
    password: { username: 'trader', password: 'trader-pass', pin: undefined },
  })
  try {
    const me = await client.users.me({ signal: AbortSignal.timeout(10_000) })
    const joined: Date | undefined = me.addedDate
    console.log(`${me.login} (since ${joined?.toISOString() ?? 'unknown'})`)
    const pick = await pickAccount(client, '10', '187.25')
    if (pick) console.log(`account ${pick.account.id}: buying power ${pick.balance.stockBuyingPower}`)
  } catch (err) {
    if (err instanceof AutoSharesError) {
      switch (err.code) {
        case 'AUTH':
          console.error(`login failed: ${err.authKind ?? 'unknown'} at ${err.step ?? '?'}`)
          break
        case 'RATE_LIMITED':
          console.error(`slow down for ${err.retryAfter ?? 1} s`)
          break
        case 'API':
          console.error(`HTTP ${err.status ?? '?'} (request ${err.requestId ?? '-'})`)
          break
        default:
          console.error(`${err.code}: ${err.message}`)
      }
    } else {
      throw err
    }
  } finally {
    client.close()
    await sb.close()
  }
}

void main()
