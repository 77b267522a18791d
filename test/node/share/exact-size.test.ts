// A share's body is held to the size announced, whether it is streamed or read straight into stripe buffers: a
// shorter or longer body is ERR_SIZE_MISMATCH, an exact one passes untouched.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readStripes, type ByteSource, type FillSource } from '../../../coder/stripe-reader.ts'
import { exactly } from '../../../node/share/exact-size.ts'

const BLOCK = 4096

function fillFrom (data: Uint8Array): FillSource {
  let offset = 0
  return {
    async readInto (target) {
      const n = Math.min(target.byteLength, data.byteLength - offset)
      target.set(data.subarray(offset, offset + n))
      offset += n
      return n
    }
  }
}

async function * streamFrom (data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += 5000) yield data.subarray(i, i + 5000)
}

async function bytesThrough (source: ByteSource): Promise<number> {
  let total = 0
  for await (const stripe of readStripes(source, 2, 1, BLOCK)) total += stripe.dataBytes
  return total
}

describe('exactly', () => {
  for (const [label, make] of [['filled', fillFrom], ['streamed', streamFrom]] as const) {
    for (const size of [0, 1, 2 * BLOCK, 2 * BLOCK + 1, 5 * BLOCK]) {
      it(`${label}, ${size} bytes: passes exactly ${size}, refuses one byte less and one more`, async () => {
        const data = new Uint8Array(size + 1).fill(9)
        assert.equal(await bytesThrough(exactly(make(data.subarray(0, size)), size)), size)
        await assert.rejects(bytesThrough(exactly(make(data), size)), { code: 'ERR_SIZE_MISMATCH', message: /more than/ })
        if (size > 0) await assert.rejects(bytesThrough(exactly(make(data.subarray(0, size - 1)), size)), { code: 'ERR_SIZE_MISMATCH', message: /ended after/ })
      })
    }
  }
})
