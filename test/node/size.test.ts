// Size and rate flags: decimal vs binary units, unit required, rates need `/s`.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatSize, parseRate, parseSize } from '../../node/size.ts'

const usage = (fn: () => unknown, pattern: RegExp) => () => assert.throws(fn, (err: Error & { code?: string }) => {
  assert.equal(err.code, 'ERR_USAGE')
  assert.match(err.message, pattern)
  return true
})

describe('parseSize', () => {
  it('reads decimal and binary units', () => {
    assert.equal(parseSize('4GiB'), 4 * 2 ** 30)
    assert.equal(parseSize('1.5MB'), 1_500_000)
    assert.equal(parseSize('1.5MiB'), 1_572_864)
    assert.equal(parseSize('500GB'), 500e9)
    assert.equal(parseSize('2TiB'), 2 * 2 ** 40)
    assert.equal(parseSize('100B'), 100)
    assert.equal(parseSize('1kB'), 1000)
    assert.equal(parseSize('1KiB'), 1024)
  })

  it('reads units in any case and a space before them', () => {
    assert.equal(parseSize('10 mb'), 10e6)
    assert.equal(parseSize('3 gib'), 3 * 2 ** 30)
  })

  it('rounds to whole bytes', () => {
    assert.equal(parseSize('0.3B'), 0)
    assert.equal(parseSize('1.0001kB'), 1000)
  })

  it('rejects a bare number', usage(() => parseSize('500'), /a unit is required/))
  it('rejects an unknown unit', usage(() => parseSize('5 bananas'), /unknown unit "bananas"/))
  it('rejects a negative size', usage(() => parseSize('-1GB'), /negative/))
  it('rejects garbage', usage(() => parseSize('GB'), /want a number and a unit/))
  it('rejects a size beyond 2^53', usage(() => parseSize('9000PB'), /too large/))
})

describe('parseRate', () => {
  it('reads a size per second', () => {
    assert.equal(parseRate('10MB/s'), 10e6)
    assert.equal(parseRate('50MiB/s'), 50 * 2 ** 20)
    assert.equal(parseRate('1.5 kB / s'), 1500)
  })
  it('rejects a size without /s', usage(() => parseRate('10MB'), /size per second/))
  it('rejects zero', usage(() => parseRate('0MB/s'), /more than 0/))
  it('rejects a rate without a unit', usage(() => parseRate('100/s'), /a unit is required/))
})

describe('formatSize', () => {
  it('uses binary IEC units (the progress bars\' MiB) and three significant digits', () => {
    assert.equal(formatSize(0), '0 B')
    assert.equal(formatSize(512), '512 B')
    assert.equal(formatSize(1.5 * 2 ** 20), '1.5 MiB')
    assert.equal(formatSize(1_500_000), '1.43 MiB')
    assert.equal(formatSize(1023.6 * 1024), '1 MiB')
    assert.equal(formatSize(2 * 2 ** 40), '2 TiB')
    assert.equal(formatSize(-1024), '-1 KiB')
  })
})
