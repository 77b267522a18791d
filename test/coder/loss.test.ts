// Lost and rotten shards, simulated on real shard files: deleted, truncated, bytes flipped. The decoder must rebuild
// the exact file from any k good shards, say what it had to do (missing / corrupt / rebuilt), and refuse with
// ERR_NOT_ENOUGH_SHARDS rather than return a wrong file when fewer than k are good.
import assert from 'node:assert/strict'
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { shardSize } from '../../coder/layout.ts'
import { shardPath } from '../../bench/shard-files.ts'
import { codecCases, copyDir, decodeFromDir, encodeGenerated, flipByte, randomSubsets, seededRandom, subsetsUpTo, withTempDir, type CodecCase, type Encoded, type LossReport } from './helpers.ts'

const BLOCK_SIZE = 4096
/** Random loss patterns tried per size for the codes too big to try every pattern. */
const RANDOM_PATTERNS = 12

/** Three full stripes and a short last one, so every pattern also meets the last stripe's smaller blocks. */
function fileSizeFor (k: number): number {
  return 3 * k * BLOCK_SIZE + 1000
}

/** What the decoder reports for lost shards with its default order: it asks shards 0, 1, 2… until k answered. */
function expectedReport (k: number, n: number, lost: number[]): LossReport {
  const asked: number[] = []
  for (let i = 0, present = 0; i < n && present < k; i++) {
    asked.push(i)
    if (!lost.includes(i)) present++
  }
  return { missing: lost.filter(i => asked.includes(i)), corrupt: [], rebuilt: lost.filter(i => i < k) }
}

function lossPatterns (c: CodecCase): number[][] {
  const n = c.k + c.m
  if (n <= 9) return subsetsUpTo(n, c.m)
  const random = seededRandom(n)
  return [[], ...Array.from({ length: c.m }, (_, i) => randomSubsets(n, i + 1, RANDOM_PATTERNS, random)).flat()]
}

function assertSameBytes (actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(actual.byteLength, expected.byteLength, 'decoded length')
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), 'decoded bytes differ from the input')
}

async function withEncoded (c: CodecCase, fn: (encoded: Encoded, scratch: (name: string) => Promise<string>) => Promise<void>): Promise<void> {
  await withTempDir(async dir => {
    const encoded = await encodeGenerated(join(dir, 'original'), c.id, c.k, c.m, fileSizeFor(c.k), BLOCK_SIZE)
    let copies = 0
    await fn(encoded, async name => {
      const copy = join(dir, `${copies++}-${name}`)
      await copyDir(encoded.dir, copy)
      return copy
    })
  })
}

for (const c of codecCases()) {
  const n = c.k + c.m
  describe(`lost and rotten shards: ${c.label}`, { skip: c.skip }, () => {
    it(`rebuilds the file for ${n <= 9 ? 'every' : 'random'} pattern of up to ${c.m} deleted shard files`, async () => {
      await withEncoded(c, async (encoded, scratch) => {
        for (const lost of lossPatterns(c)) {
          const dir = await scratch(lost.join('_'))
          for (const i of lost) await rm(shardPath(dir, i))
          const { data, report } = await decodeFromDir(dir, encoded.result.manifest)
          assert.deepEqual(report, expectedReport(c.k, n, lost), `lost ${lost.join(',')}`)
          assertSameBytes(data, encoded.data)
        }
      })
    })

    it('detects a flipped byte anywhere in any shard, reports it and still returns the right file', async () => {
      await withEncoded(c, async (encoded, scratch) => {
        const { manifest } = encoded.result
        const random = seededRandom(1000 + n)
        for (let shard = 0; shard < n; shard++) {
          const dir = await scratch(`flip-${shard}`)
          const offset = Math.floor(random() * shardSize(manifest))
          await flipByte(shardPath(dir, shard), offset)
          const stripe = Math.floor(offset / BLOCK_SIZE)
          // Ask the rotten shard first, so it is read whether it holds data or parity.
          const preference = [shard, ...Array.from({ length: n }, (_, i) => i).filter(i => i !== shard)]
          const { data, report, source } = await decodeFromDir(dir, manifest, { preference })
          // A rotten data shard is rebuilt in its stripe; a parity shard read first stands in for data shard k-1 in
          // every other stripe (there are four), and in its own stripe k-1 is read in its place.
          const rebuilt = shard < c.k ? [shard] : [c.k - 1]
          assert.deepEqual(report, { missing: [], corrupt: [shard], rebuilt }, `shard ${shard} offset ${offset}`)
          assert.deepEqual(source.reported, [[shard, stripe]])
          assertSameBytes(data, encoded.data)
        }
      })
    })

    it('survives m rotten shards (data shards first, the worst case) and a truncated one among the lost', async () => {
      await withEncoded(c, async (encoded, scratch) => {
        const { manifest } = encoded.result
        const dir = await scratch('rot-m')
        const rotten = Array.from({ length: c.m }, (_, i) => i)
        // All in the last stripe: a rotten parity shard is only read (and so only detected) where data is bad too.
        for (const [j, i] of rotten.entries()) {
          if (j === 0) await truncate(shardPath(dir, i), shardSize(manifest) - 1)
          else await flipByte(shardPath(dir, i), shardSize(manifest) - 1 - j)
        }
        const { data, report } = await decodeFromDir(dir, manifest)
        assert.deepEqual(report.missing, [])
        assert.deepEqual(report.corrupt, rotten)
        assert.deepEqual(report.rebuilt, rotten.filter(i => i < c.k))
        assertSameBytes(data, encoded.data)
      })
    })

    it(`refuses with ERR_NOT_ENOUGH_SHARDS when ${c.m + 1} shards are lost`, async () => {
      await withEncoded(c, async (encoded, scratch) => {
        const random = seededRandom(2000 + n)
        for (const lost of randomSubsets(n, c.m + 1, 4, random)) {
          const dir = await scratch(`lost-${lost.join('_')}`)
          for (const i of lost) await rm(shardPath(dir, i))
          await assert.rejects(decodeFromDir(dir, encoded.result.manifest), (err: Error & { code?: string, details?: Record<string, unknown> }) => {
            assert.equal(err.code, 'ERR_NOT_ENOUGH_SHARDS')
            assert.match(err.message, new RegExp(`found ${c.k - 1} good, need ${c.k}`))
            assert.equal(err.details?.found, c.k - 1)
            assert.deepEqual(err.details?.missing, lost)
            return true
          })
        }
      })
    })

    it('refuses with ERR_NOT_ENOUGH_SHARDS when m + 1 shards are rotten, and names the rotten ones', async () => {
      await withEncoded(c, async (encoded, scratch) => {
        const { manifest } = encoded.result
        const dir = await scratch('rot-m-plus-1')
        const rotten = Array.from({ length: c.m + 1 }, (_, i) => i)
        // Rot in the last stripe only: every earlier stripe decodes, so the error comes mid-file.
        const lastStripeOffset = shardSize(manifest) - 8
        for (const i of rotten) await flipByte(shardPath(dir, i), lastStripeOffset)
        await assert.rejects(decodeFromDir(dir, manifest), (err: Error & { code?: string, details?: Record<string, unknown> }) => {
          assert.equal(err.code, 'ERR_NOT_ENOUGH_SHARDS')
          assert.match(err.message, new RegExp(`found ${c.k - 1} good, need ${c.k}`))
          assert.deepEqual(err.details?.corrupt, rotten)
          assert.equal(err.details?.stripe, 3)
          return true
        })
      })
    })
  })
}

describe('a shard file replaced by another shard of the same size', () => {
  it('is caught by the per-block hashes (a holder cannot serve the wrong shard)', async () => {
    const c = codecCases([[4, 2]])[0]
    await withEncoded(c, async (encoded, scratch) => {
      const dir = await scratch('swapped')
      await writeFile(shardPath(dir, 0), await readFile(shardPath(dir, 5)))
      assert.equal((await stat(shardPath(dir, 0))).size, (await stat(shardPath(dir, 5))).size)
      const { data, report } = await decodeFromDir(dir, encoded.result.manifest)
      assert.deepEqual(report, { missing: [], corrupt: [0], rebuilt: [0] })
      assertSameBytes(data, encoded.data)
    })
  })
})
