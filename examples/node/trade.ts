// A typed walk through what a trading service does first: log in as a user, find an account with enough
// buying power for an order, and handle failures by their code. Type-checked with `tsc --noEmit --strict`
// (`make test`) against the generated `index.d.ts`, then place a limit order and list the account's orders.
// In your own project: `import { ... } from 'autoshares'`.
import {
  AutoSharesError,
  Client,
  Sandbox,
  toDecimal,
  type AccountBalance,
  type CreateOrderInput,
  type DecimalLike,
  type Order,
  type OrderPage,
  type OrderStatus,
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
    if (pick) {
      console.log(`account ${pick.account.id}: buying power ${pick.balance.stockBuyingPower}`)
      const order: CreateOrderInput = { symbol: 'AAPL', side: 'Buy', type: 'Limit', quantity: '10', price: '187.25', timeInForce: 'Day' }
      const placed: Order = await client.orders.place(pick.account.id, order) // checked by core, ClientId set
      const status: OrderStatus | (string & {}) | undefined = placed.status
      console.log(`order ${placed.id ?? '?'} ${status ?? 'unknown'} at ${placed.price ?? 'market'}`)
      const first: OrderPage = await client.orders.list(pick.account.id, {
        pageSize: 50,
        sort: { field: 'CreateDate', descending: true },
        filter: [{ field: 'Symbol', op: 'eq', value: 'AAPL' }],
      })
      console.log(`${first.totalCount ?? first.result.length} AAPL orders`)
      for await (const page of client.orders.listPages(pick.account.id, { pageSize: 100 })) {
        for (const o of page.result) console.log(o.id, o.symbol, o.quantity)
      }
    }
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
