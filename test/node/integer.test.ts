// Integer text as CLI flags and control API parameters take it: digits only, a safe integer, inside the bounds.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseIntegerIn } from '../../node/integer.ts'

describe('parseIntegerIn', () => {
  it('takes digits within the bounds', () => {
    assert.equal(parseIntegerIn('--k', '4', 1, 255), 4)
    assert.equal(parseIntegerIn('--k', '1', 1, 255), 1)
    assert.equal(parseIntegerIn('--k', '255', 1, 255), 255)
    assert.equal(parseIntegerIn('blockSize', '016', 8, 1 << 24), 16)
  })

  it('refuses anything else with ERR_USAGE, quoting at most 40 characters of the input', () => {
    for (const bad of ['', ' 4', '4 ', '-1', '+4', '1.5', '1e3', '0x10', 'four', '0', '256', '9'.repeat(20)]) {
      assert.throws(() => parseIntegerIn('--k', bad, 1, 255), (err: Error & { code?: string }) => err.code === 'ERR_USAGE' && /--k must be an integer in 1\.\.255/.test(err.message), JSON.stringify(bad))
    }
    assert.throws(() => parseIntegerIn('--k', 'x'.repeat(100), 1, 255), (err: Error) => err.message.endsWith(`got "${'x'.repeat(40)}"`))
  })
})
