// ESM entry: the same module as `require('autoshares')` (lib.cjs: the napi-generated loader index.js plus the
// `…Pages()` iterators of paged methods, and `MarketStream`'s async-iterator protocol).
import { createRequire } from 'node:module'

const native = createRequire(import.meta.url)('./lib.cjs')

export const {
  AutoSharesError,
  Client,
  OAuthPending,
  Sandbox,
  Faults,
  SandboxStreams,
  MarketStream,
  toDecimal,
  computeIndicators,
  indicatorSignature,
  Users,
  Accounts,
  Agreements,
  Orders,
  SyncOrders,
  MutualFunds,
  Positions,
  Transactions,
  Securities,
  History,
  Watchlists,
  PriceAlerts,
  AchRelationships,
  Transfers,
  Ipo,
  News,
  Streamers,
} = native
export default native
