// Each codec alone (encode / reconstruct / verify), against its contract in coder/codec.ts, a property over random
// shapes, contents and loss patterns, and, for rs-wasm-1, a naive GF(2^8) encoder that pins its parity bytes.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { Codec } from '../../coder/codec.ts'
import { availableCodecs, codecIdFor, createCodec, REPLICA_CODEC_ID, RS_NATIVE_CODEC_ID, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { gfMul, mulAddInto } from '../../coder/gf256.ts'
import { referenceParity } from './gf256-reference.ts'
import { CODES, NATIVE_AVAILABLE, NATIVE_SKIP, codecCases, pseudoRandomBytes, subsetsUpTo } from './helpers.ts'

/** k data shards of `length` pseudo-random bytes and m zeroed parity shards, either views of one buffer (the
 *  encoder's layout, no copies) or separate arrays (the decoder's, which the codec must gather). */
function makeShards (k: number, m: number, length: number, seed: number, contiguous: boolean): Uint8Array[] {
  const data = pseudoRandomBytes(seed, k * length)
  if (contiguous) {
    const all = new Uint8Array((k + m) * length)
    all.set(data)
    return Array.from({ length: k + m }, (_, i) => all.subarray(i * length, (i + 1) * length))
  }
  return Array.from({ length: k + m }, (_, i) => i < k ? data.slice(i * length, (i + 1) * length) : new Uint8Array(length))
}

function copies (shards: Uint8Array[]): Uint8Array[] {
  return shards.map(s => s.slice())
}

function assertShardsEqual (actual: Array<Uint8Array | null>, expected: Uint8Array[], message: string): void {
  expected.forEach((s, i) => {
    assert.ok(actual[i] != null && Buffer.from(actual[i] as Uint8Array).equals(Buffer.from(s)), `${message}: shard ${i}`)
  })
}

async function lose (codec: Codec, encoded: Uint8Array[], lost: number[], dataOnly = false): Promise<Array<Uint8Array | null>> {
  const shards: Array<Uint8Array | null> = copies(encoded).map((s, i) => lost.includes(i) ? null : s)
  await codec.reconstruct(shards, { dataOnly })
  return shards
}

for (const c of codecCases([...CODES, [2, 1]])) {
  describe(`codec ${c.label}`, { skip: c.skip }, () => {
    const n = c.k + c.m
    for (const contiguous of [true, false]) {
      it(`encodes, verifies and reconstructs every loss pattern up to m (${contiguous ? 'one buffer' : 'separate arrays'})`, async () => {
        const codec = await createCodec(c.id, c.k, c.m)
        assert.deepEqual([codec.id, codec.k, codec.m], [c.id, c.k, c.m])
        const shards = makeShards(c.k, c.m, 64, n, contiguous)
        const data = copies(shards.slice(0, c.k))
        await codec.encode(shards)
        assertShardsEqual(shards.slice(0, c.k), data, 'encode left data alone')
        for (let i = c.k; i < n; i++) assert.ok(shards[i].some(b => b !== 0), `parity ${i} filled`)
        assert.equal(await codec.verify(shards), true)
        const patterns = n <= 9 ? subsetsUpTo(n, c.m) : subsetsUpTo(n, 2).concat([[0, 1, 2, 3], [10, 11, 12, 13], [0, 5, 11, 13]])
        for (const lost of patterns) {
          assertShardsEqual(await lose(codec, shards, lost), shards, `lost ${lost.join(',')}`)
        }
      })
    }

    it('dataOnly rebuilds missing data and leaves missing parity null', async () => {
      const codec = await createCodec(c.id, c.k, c.m)
      const shards = makeShards(c.k, c.m, 64, 3, true)
      await codec.encode(shards)
      const lost = c.m >= 2 ? [0, n - 1] : [0]
      const rebuilt = await lose(codec, shards, lost, true)
      assertShardsEqual(rebuilt.slice(0, c.k), shards.slice(0, c.k), 'data')
      if (c.m >= 2) assert.equal(rebuilt[n - 1], null)
    })

    it('verify is false when any byte of any shard changed', async () => {
      const codec = await createCodec(c.id, c.k, c.m)
      const shards = makeShards(c.k, c.m, 64, 4, false)
      await codec.encode(shards)
      for (let i = 0; i < n; i++) {
        const bad = copies(shards)
        bad[i][i * 7 % 64] ^= 1
        assert.equal(await codec.verify(bad), false, `shard ${i}`)
      }
    })

    it('refuses fewer than k shards, the wrong count and unequal lengths', async () => {
      const codec = await createCodec(c.id, c.k, c.m)
      const shards = makeShards(c.k, c.m, 64, 5, false)
      await codec.encode(shards)
      const tooFew = shards.map((s, i) => i <= c.m ? null : s)
      await assert.rejects(codec.reconstruct(tooFew), { code: 'ERR_NOT_ENOUGH_SHARDS', message: new RegExp(`found ${c.k - 1} good, need ${c.k}`) })
      await assert.rejects(codec.encode(shards.slice(1)), { code: 'ERR_INVALID_PARAMETERS' })
      await assert.rejects(codec.encode(shards.map((s, i) => i === 0 ? s.subarray(8) : s)), { code: 'ERR_INVALID_PARAMETERS' })
    })
  })
}

describe('rs-wasm-1 parity', () => {
  it('matches a naive GF(2^8) Vandermonde encoder (the reed-solomon-erasure / klauspost matrix)', async () => {
    for (const [k, m] of [[1, 1], [2, 1], [4, 2], [6, 3], [10, 4], [17, 3], [20, 12]]) {
      const codec = await createCodec(RS_WASM_CODEC_ID, k, m)
      const shards = makeShards(k, m, 40, k * 100 + m, false)
      await codec.encode(shards)
      assertShardsEqual(shards.slice(k), referenceParity(shards.slice(0, k), m), `RS(${k},${m})`)
    }
  })

  it('reconstructs several loss patterns in a row with one codec (the 0.2.5 build once corrupted its heap here)', async () => {
    const codec = await createCodec(RS_WASM_CODEC_ID, 10, 4)
    const shards = makeShards(10, 4, 1024, 6, true)
    await codec.encode(shards)
    for (const lost of [[0, 13], [0, 12, 13], [1, 2, 3, 4], [0, 13], [5, 6, 7, 8]]) {
      assertShardsEqual(await lose(codec, shards, lost), shards, `lost ${lost.join(',')}`)
    }
  })

  it('reconstructs one loss pattern over and over, on stripes of different data (an instance kept per pattern failed here)', async () => {
    const codec = await createCodec(RS_WASM_CODEC_ID, 10, 4)
    for (let stripe = 0; stripe < 12; stripe++) {
      const shards = makeShards(10, 4, 1024, 100 + stripe, true)
      await codec.encode(shards)
      const lost = stripe % 3 === 2 ? [1, 12] : [0, 13] // one pattern throughout, another passing now and then
      assertShardsEqual(await lose(codec, shards, lost), shards, `stripe ${stripe}, lost ${lost.join(',')}`)
    }
  })
})

describe('any codec reconstructs what it encoded (property)', () => {
  const ids = [RS_WASM_CODEC_ID, ...(NATIVE_AVAILABLE ? [RS_NATIVE_CODEC_ID] : [])]
  const shape = fc.record({
    k: fc.integer({ min: 1, max: 16 }),
    m: fc.integer({ min: 1, max: 6 }),
    words: fc.integer({ min: 1, max: 40 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    contiguous: fc.boolean(),
    dataOnly: fc.boolean()
  }).chain(s => fc.record({
    s: fc.constant(s),
    id: fc.constantFrom(...(s.k === 1 ? [REPLICA_CODEC_ID, ...ids] : ids)),
    lost: fc.subarray(Array.from({ length: s.k + s.m }, (_, i) => i), { maxLength: s.m })
  }))

  it('for random shapes, contents and loss patterns of up to m shards', async () => {
    await fc.assert(fc.asyncProperty(shape, async ({ s, id, lost }) => {
      const codec = await createCodec(id, s.k, s.m)
      const shards = makeShards(s.k, s.m, s.words * 8, s.seed, s.contiguous)
      await codec.encode(shards)
      assert.equal(await codec.verify(shards), true)
      const rebuilt = await lose(codec, shards, lost, s.dataOnly)
      const expected = s.dataOnly ? shards.slice(0, s.k) : shards
      assertShardsEqual(rebuilt, expected, `${id} RS(${s.k},${s.m}) lost ${lost.join(',')}`)
      if (s.dataOnly) lost.filter(i => i >= s.k).forEach(i => { assert.equal(rebuilt[i], null) })
    }), { numRuns: 300 })
  })
})

describe('codec registry', () => {
  it('lists what this process can run, and refuses unknown ids with ERR_UNKNOWN_CODEC', async () => {
    assert.deepEqual(availableCodecs().sort(), [REPLICA_CODEC_ID, RS_WASM_CODEC_ID, ...(NATIVE_AVAILABLE ? [RS_NATIVE_CODEC_ID] : [])].sort())
    await assert.rejects(createCodec('rs-wasm-2', 4, 2), { code: 'ERR_UNKNOWN_CODEC' })
  })

  it('uses replicas for k = 1, the requested or default Reed-Solomon codec otherwise', () => {
    assert.equal(codecIdFor(1, RS_NATIVE_CODEC_ID), REPLICA_CODEC_ID)
    assert.equal(codecIdFor(4), RS_WASM_CODEC_ID)
    assert.equal(codecIdFor(4, RS_NATIVE_CODEC_ID), RS_NATIVE_CODEC_ID)
  })

  it('refuses shapes a codec cannot do with ERR_INVALID_PARAMETERS', async () => {
    await assert.rejects(createCodec(REPLICA_CODEC_ID, 2, 1), { code: 'ERR_INVALID_PARAMETERS' })
    await assert.rejects(createCodec(RS_WASM_CODEC_ID, 200, 57), { code: 'ERR_INVALID_PARAMETERS' })
    await assert.rejects(createCodec(RS_WASM_CODEC_ID, 4, 0), { code: 'ERR_INVALID_PARAMETERS' })
  })

  it('rs-native refuses more than its addon allows, and lengths that are not a multiple of 8', { skip: NATIVE_SKIP }, async () => {
    await assert.rejects(createCodec(RS_NATIVE_CODEC_ID, 25, 2), { code: 'ERR_INVALID_PARAMETERS' })
    await assert.rejects(createCodec(RS_NATIVE_CODEC_ID, 4, 7), { code: 'ERR_INVALID_PARAMETERS' })
    const codec = await createCodec(RS_NATIVE_CODEC_ID, 4, 2)
    await assert.rejects(codec.encode(Array.from({ length: 6 }, () => new Uint8Array(12))), { code: 'ERR_INVALID_PARAMETERS' })
  })
})

describe('GF(2^8) multiply-add (coder/gf256.ts)', () => {
  it('gives the same bytes on the 32-bit, 16-bit and bytewise paths', () => {
    const src = pseudoRandomBytes(3, 4097)
    for (const c of [0, 1, 2, 29, 142, 255]) {
      const expected = Uint8Array.from(src.subarray(0, 4096), v => gfMul(c, v))
      const aligned = new Uint8Array(4096)
      mulAddInto(aligned, src.subarray(0, 4096), c)
      assert.deepEqual(aligned, expected, `c=${c}, aligned`)
      const even = new Uint8Array(4098).subarray(2) // 2-byte aligned, not 4
      mulAddInto(even, src.subarray(0, 4096), c)
      assert.deepEqual(even, expected, `c=${c}, 2-byte aligned`)
      const odd = new Uint8Array(4097).subarray(1)
      mulAddInto(odd, src.subarray(0, 4096), c)
      assert.deepEqual(odd, expected, `c=${c}, odd offset`)
      const fromOdd = new Uint8Array(4096)
      mulAddInto(fromOdd, src.subarray(1), c)
      assert.deepEqual(fromOdd, Uint8Array.from(src.subarray(1), v => gfMul(c, v)), `c=${c}, source at an odd offset`)
      const twice = expected.slice()
      mulAddInto(twice, src.subarray(0, 4096), c)
      assert.ok(twice.every(v => v === 0), `c=${c}: adding the same product twice cancels (characteristic 2)`)
    }
  })
})
