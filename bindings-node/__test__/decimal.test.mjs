// The decimal converter every money and quantity argument goes through.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { AutoSharesError, toDecimal } from '../index.mjs'

/** A stand-in for decimal.js / big.js: an object whose toString() is the decimal. */
class FakeDecimal {
  constructor(text) { this.text = text }
  toString() { return this.text }
}

test('strings are exact', () => {
  assert.equal(toDecimal('10.15'), '10.15')
  assert.equal(toDecimal('-0.0001'), '-0.0001')
  assert.equal(toDecimal('1e-7'), '0.0000001')
  assert.equal(toDecimal('100.50'), '100.50', 'trailing zeros are kept')
  assert.equal(toDecimal('123456789.123456789123456789'), '123456789.123456789123456789')
})

test('numbers are accepted when they are exactly the decimal they print as', () => {
  assert.equal(toDecimal(10.15), '10.15')
  assert.equal(toDecimal(0.1), '0.1')
  assert.equal(toDecimal(42), '42')
  assert.equal(toDecimal(1e-7), '0.0000001')
  for (const bad of [0.1 + 0.2, 1.1 * 1.1, NaN, Infinity, 2 ** 53 + 2]) {
    const err = catchIt(() => toDecimal(bad, 'price'))
    assert.ok(err instanceof AutoSharesError, String(bad))
    assert.equal(err.code, 'VALIDATION')
    assert.equal(err.field, 'price')
  }
  assert.match(catchIt(() => toDecimal(0.1 + 0.2, 'price')).message, /0\.30000000000000004/)
})

test('objects with toString() (decimal.js, big.js) and bigints', () => {
  assert.equal(toDecimal(new FakeDecimal('10.15')), '10.15')
  assert.equal(toDecimal(new FakeDecimal('1e+21')), '1000000000000000000000')
  assert.equal(toDecimal(12345678901234567890n), '12345678901234567890')
  assert.equal(catchIt(() => toDecimal(new FakeDecimal('ten'), 'qty')).field, 'qty')
  assert.equal(catchIt(() => toDecimal({})).code, 'VALIDATION', '[object Object] is not a decimal')
})

test('other types are refused', () => {
  for (const bad of [null, undefined, true]) assert.throws(() => toDecimal(bad))
})

function catchIt(fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}
