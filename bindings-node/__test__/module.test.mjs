// ESM import and CommonJS require give the same native module; the package resolves by its name.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import * as esm from '../index.mjs'

test('require and import agree', async () => {
  const cjs = createRequire(import.meta.url)('../index.js')
  assert.equal(esm.Client, cjs.Client)
  assert.equal(esm.AutoSharesError, cjs.AutoSharesError)
  const byName = await import('autoshares')
  assert.equal(byName.Sandbox, cjs.Sandbox)
  const required = createRequire(import.meta.url)('autoshares')
  assert.equal(required.Sandbox, cjs.Sandbox)
  assert.equal(typeof esm.default.toDecimal, 'function')
})
