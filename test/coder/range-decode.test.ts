// A range read decodes exactly the requested bytes and touches only the stripes that hold them: the property an HTTP
// Range request relies on (issue #16: bytes 2 GiB..2 GiB+1 MiB of a 4 GiB file must cost about one stripe).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { createCodec, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { decodeFile, type ShardSource } from '../../coder/decoder.ts'
import { encodeFile } from '../../coder/encoder.ts'
import { stripesForRange } from '../../coder/layout.ts'
import type { Manifest } from '../../coder/manifest.ts'
import { chunked, concat, pseudoRandomBytes } from './helpers.ts'

const K = 4
const M = 2
const BLOCK = 1024

async function encoded (size: number): Promise<{ data: Uint8Array, manifest: Manifest, shards: Uint8Array[][] }> {
  const data = pseudoRandomBytes(size, size)
  const codec = await createCodec(RS_WASM_CODEC_ID, K, M)
  const shards: Uint8Array[][] = Array.from({ length: K + M }, () => [])
  const { manifest } = await encodeFile(chunked(data, 777), { codec, blockSize: BLOCK }, async (stripe) => {
    stripe.blocks.forEach((b, i) => shards[i].push(b.slice()))
  })
  return { data, manifest, shards }
}

/** Serves the shards from memory, minus the `lost` ones, and records every block asked for. */
function memorySource (shards: Uint8Array[][], lost: number[] = []): ShardSource & { stripesRead: Set<number>, blocksRead: string[] } {
  const stripesRead = new Set<number>()
  const blocksRead: string[] = []
  return {
    stripesRead,
    blocksRead,
    async readBlock (index, stripe) {
      stripesRead.add(stripe)
      blocksRead.push(`${index}@${stripe}`)
      return lost.includes(index) ? null : shards[index][stripe]
    }
  }
}

async function decodeRange (manifest: Manifest, source: ShardSource, start: number, end: number): Promise<Uint8Array> {
  const out: Uint8Array[] = []
  await decodeFile(manifest, source, async (chunk) => { out.push(chunk.slice()) }, { range: { start, end } })
  return concat(out)
}

describe('range decode', () => {
  it('returns exactly bytes [start, end) and reads only the stripes that hold them, with or without lost shards', async () => {
    const size = 9 * K * BLOCK + 1234 // ten stripes, the last one short
    const { data, manifest, shards } = await encoded(size)
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: size }), fc.subarray([0, 1, 2, 3, 4, 5], { maxLength: M }),
      async (a, b, lost) => {
        const [start, end] = a <= b ? [a, b] : [b, a]
        const source = memorySource(shards, lost)
        assert.deepEqual(await decodeRange(manifest, source, start, end), data.subarray(start, end))
        const { first, end: stripeEnd } = stripesForRange(manifest, { start, end })
        assert.deepEqual([...source.stripesRead].sort((x, y) => x - y), Array.from({ length: stripeEnd - first }, (_, i) => first + i))
      }), { numRuns: 60, seed: 16 })
  })

  it('a range inside one stripe reads that stripe alone (the first byte, the last byte, one byte mid-file)', async () => {
    const size = 9 * K * BLOCK + 1234
    const { data, manifest, shards } = await encoded(size)
    for (const at of [0, size - 1, 5 * K * BLOCK + 17]) {
      const source = memorySource(shards)
      assert.deepEqual(await decodeRange(manifest, source, at, at + 1), data.subarray(at, at + 1))
      assert.deepEqual([...source.stripesRead], [Math.floor(at / (K * BLOCK))])
    }
  })

  it('a range inside one data block reads that block alone; with its shard lost, the stripe is decoded instead', async () => {
    const size = 9 * K * BLOCK + 1234
    const { data, manifest, shards } = await encoded(size)
    const start = 5 * K * BLOCK + 2 * BLOCK + 100 // block 2 of stripe 5
    const alone = memorySource(shards)
    assert.deepEqual(await decodeRange(manifest, alone, start, start + 500), data.subarray(start, start + 500))
    assert.deepEqual(alone.blocksRead, ['2@5'])
    // Across blocks 1..2 of one stripe: those two.
    const two = memorySource(shards)
    assert.deepEqual(await decodeRange(manifest, two, start - BLOCK, start + 10), data.subarray(start - BLOCK, start + 10))
    assert.deepEqual(two.blocksRead.sort(), ['1@5', '2@5'])
    const lost = memorySource(shards, [2])
    assert.deepEqual(await decodeRange(manifest, lost, start, start + 500), data.subarray(start, start + 500))
    assert.equal(new Set(lost.blocksRead.filter(b => b !== '2@5')).size, K, 'k other blocks of the stripe, decoded')
  })

  it('refuses a range outside the file before reading anything', async () => {
    const { manifest, shards } = await encoded(3 * K * BLOCK)
    const source = memorySource(shards)
    await assert.rejects(decodeRange(manifest, source, 10, 3 * K * BLOCK + 1), { code: 'ERR_INVALID_PARAMETERS' })
    await assert.rejects(decodeRange(manifest, source, 10, 9), { code: 'ERR_INVALID_PARAMETERS' })
    assert.equal(source.stripesRead.size, 0)
  })

  it('a block that fails its hash inside a range is rebuilt from parity, never handed on', async () => {
    const { data, manifest, shards } = await encoded(4 * K * BLOCK)
    const rotten = shards.map(s => s.map(b => b.slice()))
    rotten[1][2][0] ^= 0xff
    const start = 2 * K * BLOCK + 100
    assert.deepEqual(await decodeRange(manifest, memorySource(rotten), start, start + 2000), data.subarray(start, start + 2000))
  })
})
