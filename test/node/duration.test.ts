// Duration flags: units required, Go-style sums, and formatDuration reads back exactly.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { formatDuration, parseDuration } from '../../node/duration.ts'

const usage = (text: string, pattern: RegExp) => () => assert.throws(() => parseDuration(text), (err: Error & { code?: string }) => {
  assert.equal(err.code, 'ERR_USAGE')
  assert.match(err.message, pattern)
  return true
})

describe('parseDuration', () => {
  it('reads each unit', () => {
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('5s'), 5000)
    assert.equal(parseDuration('10m'), 600_000)
    assert.equal(parseDuration('1h'), 3_600_000)
    assert.equal(parseDuration('2d'), 172_800_000)
    assert.equal(parseDuration(' 0s '), 0)
  })

  it('reads fractions and sums', () => {
    assert.equal(parseDuration('1.5s'), 1500)
    assert.equal(parseDuration('.5m'), 30_000)
    assert.equal(parseDuration('10m30s'), 630_000)
    assert.equal(parseDuration('1h30m'), 5_400_000)
    assert.equal(parseDuration('1.0005s'), 1001)
  })

  it('rejects a bare number', usage('5', /a unit is required/))
  it('rejects an unknown unit', usage('5 sec', /cannot read/))
  it('rejects a unit alone', usage('ms', /cannot read/))
  it('rejects a negative duration', usage('-5s', /negative/))
  it('rejects an empty string', usage('', /empty/))
  it('rejects a huge one', usage('99999999999999d', /too long/))
  it('names the units in its message', usage('3y', /units ms, s, m, h, d/))
})

describe('formatDuration', () => {
  it('writes the largest units first', () => {
    assert.equal(formatDuration(0), '0s')
    assert.equal(formatDuration(500), '500ms')
    assert.equal(formatDuration(1500), '1.5s')
    assert.equal(formatDuration(630_000), '10m30s')
    assert.equal(formatDuration(60_001), '1m0.001s')
    assert.equal(formatDuration(90_000_000), '1d1h')
    assert.equal(formatDuration(-5000), '-5s')
  })

  it('reads back exactly', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 45 }), ms => {
      assert.equal(parseDuration(formatDuration(ms)), ms)
    }))
  })
})
