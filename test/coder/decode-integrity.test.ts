// What a decode checks (docs/MANIFEST.md, "Integrity on read"): every data block it hands on, read or rebuilt, against
// its hash in the manifest; the whole-file SHA-256 only when asked. The sharer here is dishonest or buggy: its
// manifest hashes exactly the blocks it sent, but a parity (or replica) shard disagrees with the data, so any block
// rebuilt from it is wrong although every block read passes its hash.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { HASH_LENGTH } from '../../coder/constants.ts'
import { sha256 } from '../../coder/hash.ts'
import { blockOffset, stripeBlockSize, stripeCount } from '../../coder/layout.ts'
import type { Manifest } from '../../coder/manifest.ts'
import { shardPath } from '../../bench/shard-files.ts'
import { codecCases, decodeFromDir, encodeGenerated, withTempDir } from './helpers.ts'

const BLOCK_SIZE = 4096

/** Three full stripes and a short last one (its blocks padded), as in loss.test.ts. */
function fileSizeFor (k: number): number {
  return 3 * k * BLOCK_SIZE + 1000
}

/**
 * Overwrite shard `index`'s blocks of `stripes` with random bytes in the shard file, and return a manifest whose hashes
 * for that shard are those of the new bytes: what a sharer would publish if its parity disagreed with its data.
 */
async function forgeShard (dir: string, manifest: Manifest, index: number, stripes: number[]): Promise<Manifest> {
  const hashes = manifest.shardHashes[index].slice()
  const file = await open(shardPath(dir, index), 'r+')
  try {
    for (const stripe of stripes) {
      const block = randomBytes(stripeBlockSize(manifest, stripe))
      await file.write(block, 0, block.byteLength, blockOffset(manifest, stripe))
      hashes.set(sha256(block), stripe * HASH_LENGTH)
    }
  } finally {
    await file.close()
  }
  return { ...manifest, shardHashes: manifest.shardHashes.map((h, i) => i === index ? hashes : h) }
}

for (const c of codecCases([[1, 2], [4, 2]])) {
  describe(`decode integrity: ${c.label}`, { skip: c.skip }, () => {
    // The first stripe, and the short last one alone (its rebuilt blocks are hashed with their padding, like read ones).
    for (const which of ['first', 'last'] as const) {
      it(`a data block rebuilt from a forged ${c.k === 1 ? 'replica' : 'parity'} shard (${which} stripe) fails with ERR_HASH_MISMATCH, without the file hash`, async () => {
        await withTempDir(async dir => {
          const shards = join(dir, 'shards')
          const { data, result } = await encodeGenerated(shards, c.id, c.k, c.m, fileSizeFor(c.k), BLOCK_SIZE)
          const stripe = which === 'first' ? 0 : stripeCount(result.manifest) - 1
          const forged = await forgeShard(shards, result.manifest, c.k, [stripe])
          // Every data shard there: the forged shard is never read, and the file comes back whole.
          const intact = await decodeFromDir(shards, forged)
          assert.ok(Buffer.from(intact.data).equals(Buffer.from(data)))
          assert.deepEqual(intact.report, { missing: [], corrupt: [], rebuilt: [] })
          // Data shard 0 lost: the decoder reads shard k (the forged one) next, and the block it rebuilds is wrong.
          await rm(shardPath(shards, 0))
          await assert.rejects(decodeFromDir(shards, forged), (err: Error & { code?: string, details?: Record<string, unknown> }) => {
            assert.equal(err.code, 'ERR_HASH_MISMATCH')
            assert.match(err.message, /parity disagrees with its data/)
            assert.deepEqual({ stripe: err.details?.stripe, shard: err.details?.shard }, { stripe, shard: 0 })
            return true
          })
        })
      })
    }
  })
}

describe('decode integrity: the whole-file hash', () => {
  const [c] = codecCases([[4, 2]])
  it('is not checked by default (a wrong fileHash with right block hashes decodes), and is with verifyFileHash', async () => {
    await withTempDir(async dir => {
      const shards = join(dir, 'shards')
      const { data, result } = await encodeGenerated(shards, c.id, c.k, c.m, fileSizeFor(c.k), BLOCK_SIZE)
      const fileHash = result.manifest.fileHash.slice()
      fileHash[0] ^= 1
      const wrong = { ...result.manifest, fileHash }
      const decoded = await decodeFromDir(shards, wrong)
      assert.ok(Buffer.from(decoded.data).equals(Buffer.from(data)))
      await assert.rejects(decodeFromDir(shards, wrong, { verifyFileHash: true }), { code: 'ERR_HASH_MISMATCH' })
      // The right one passes the opt-in check, also when a block had to be rebuilt.
      await rm(shardPath(shards, 1))
      const rebuilt = await decodeFromDir(shards, result.manifest, { verifyFileHash: true })
      assert.ok(Buffer.from(rebuilt.data).equals(Buffer.from(data)))
      assert.deepEqual(rebuilt.report.rebuilt, [1])
    })
  })
})
