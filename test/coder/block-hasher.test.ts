// Blocks verified on the encode worker (WorkerBlockHasher, what a fetch of a large file uses) decode to the same bytes
// as blocks verified on this thread, catch the same rot, and never hand on a block that moved to the worker.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sha256 } from '../../coder/hash.ts'
import { blockOffset } from '../../coder/layout.ts'
import { WorkerBlockHasher } from '../../coder/stripe-encoder.ts'
import { RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { shardPath } from '../../bench/shard-files.ts'
import { copyDir, decodeFromDir, encodeGenerated, flipByte, withTempDir } from './helpers.ts'

const BLOCK_SIZE = 4096

describe('WorkerBlockHasher', () => {
  it('hashes a block that owns its buffer (moved there and back) and a view into a larger one (copied, left intact)', async () => {
    const hasher = new WorkerBlockHasher()
    const owned = new Uint8Array(BLOCK_SIZE).fill(3)
    const expected = sha256(owned)
    const moved = await hasher.hash(owned)
    assert.deepEqual(moved.digest, expected)
    assert.deepEqual(moved.block, new Uint8Array(BLOCK_SIZE).fill(3))
    assert.equal(owned.byteLength, 0, 'the block the caller passed moved to the worker: only the one returned is usable')

    const larger = new Uint8Array(3 * BLOCK_SIZE).fill(5)
    const view = larger.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE)
    const copied = await hasher.hash(view)
    assert.deepEqual(copied.digest, sha256(view))
    assert.equal(view.byteLength, BLOCK_SIZE, 'a view is copied, not moved: its buffer is still the caller\'s')
  })

  it('decodes RS(4,2) to the same bytes as this thread, with a rotten data block found and rebuilt', async () => {
    await withTempDir(async (root) => {
      const dir = join(root, 'shards')
      const { data, result } = await encodeGenerated(dir, RS_WASM_CODEC_ID, 4, 2, 3 * 4 * BLOCK_SIZE + 1000, BLOCK_SIZE)
      const inline = await decodeFromDir(dir, result.manifest)
      const offloaded = await decodeFromDir(dir, result.manifest, { hasher: new WorkerBlockHasher() })
      assert.deepEqual(offloaded.data, data)
      assert.deepEqual(offloaded.report, inline.report)

      const rotten = join(root, 'rotten')
      await copyDir(dir, rotten)
      await flipByte(shardPath(rotten, 1), blockOffset(result.manifest, 2) + 17)
      const healed = await decodeFromDir(rotten, result.manifest, { hasher: new WorkerBlockHasher() })
      assert.deepEqual(healed.data, data)
      assert.deepEqual(healed.report.corrupt, [1])
      assert.deepEqual(healed.report.rebuilt, [1])
    })
  })
})
