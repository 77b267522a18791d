// Rebuilding lost shards (coder/rebuild.ts, the repair path): the rebuilt shard files must equal the lost ones byte
// for byte, for data and parity shards alike, and rot among the survivors must be reported, not copied.
import assert from 'node:assert/strict'
import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { rebuildShards } from '../../coder/rebuild.ts'
import { FileShardSource, shardPath } from '../../bench/shard-files.ts'
import { codecCases, copyDir, encodeGenerated, flipByte, withTempDir } from './helpers.ts'

const BLOCK_SIZE = 4096

for (const c of codecCases()) {
  for (const rot of [false, true]) {
    it(`rebuildShards restores ${rot ? 'm - 1 lost shards next to a rotten one' : 'm lost shards'} exactly: ${c.label}`, { skip: c.skip }, async () => {
      await withTempDir(async dir => {
        const original = join(dir, 'original')
        const { result } = await encodeGenerated(original, c.id, c.k, c.m, 3 * c.k * BLOCK_SIZE + 500, BLOCK_SIZE)
        const damaged = join(dir, 'damaged')
        await copyDir(original, damaged)
        // One data shard and the rest parity (or all data for replicas): both kinds of rebuild.
        const lost = [0, ...Array.from({ length: rot ? c.m - 2 : c.m - 1 }, (_, i) => c.k + c.m - 1 - i)]
        for (const i of lost) await rm(shardPath(damaged, i))
        // A flipped byte in a survivor that is read first: it must be skipped and reported, never copied.
        const rotten = rot ? [1] : []
        for (const i of rotten) await flipByte(shardPath(damaged, i), 10)

        const outputs = new Map(await Promise.all(lost.map(async i => [i, await open(shardPath(damaged, i), 'w')] as const)))
        const source = new FileShardSource(damaged, BLOCK_SIZE)
        try {
          const report = await rebuildShards(result.manifest, source, lost, async (stripe, blocks) => {
            assert.deepEqual([...blocks.keys()].sort(), [...lost].sort())
            for (const [i, block] of blocks) await outputs.get(i)?.write(block, 0, block.byteLength, stripe * BLOCK_SIZE)
          })
          assert.deepEqual(report, { missing: [], corrupt: rotten, bytesRead: report.bytesRead })
          assert.deepEqual(source.reported, rotten.map(i => [i, 0]))
        } finally {
          await source.close()
          for (const handle of outputs.values()) await handle.close()
        }
        for (const i of lost) {
          assert.ok((await readFile(shardPath(damaged, i))).equals(await readFile(shardPath(original, i))), `shard ${i}`)
        }
      })
    })
  }
}

describe('rebuildShards parameters', () => {
  it('refuses targets that are not distinct shard indexes: ERR_INVALID_PARAMETERS', async () => {
    await withTempDir(async dir => {
      const { result } = await encodeGenerated(dir, 'rs-wasm-1', 4, 2, 1000, BLOCK_SIZE)
      const source = new FileShardSource(dir, BLOCK_SIZE)
      for (const targets of [[], [6], [-1], [1, 1], [0.5]]) {
        await assert.rejects(rebuildShards(result.manifest, source, targets, async () => {}), { code: 'ERR_INVALID_PARAMETERS' })
      }
      await source.close()
    })
  })
})
