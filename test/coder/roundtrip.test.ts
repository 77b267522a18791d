// Encode to shard files on disk and decode them back, for every codec and code under test and for the file sizes
// where striping has edge cases (empty, one byte, around a block and a stripe boundary, several stripes, random).
import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { decodeFile } from '../../coder/decoder.ts'
import { sha256 } from '../../coder/hash.ts'
import { shardSize, stripeCount } from '../../coder/layout.ts'
import { decodeManifest, MANIFEST_VERSION } from '../../coder/manifest.ts'
import { FileShardSource, shardPath } from '../../bench/shard-files.ts'
import { codecCases, concat, decodeFromDir, lossReport, encodeGenerated, seededRandom, withTempDir } from './helpers.ts'

const BLOCK_SIZE = 4096

function sizesFor (k: number): Array<[string, number]> {
  const stripe = k * BLOCK_SIZE
  const random = seededRandom(k)
  return [
    ['empty', 0],
    ['1 byte', 1],
    ['blockSize - 1', BLOCK_SIZE - 1],
    ['blockSize', BLOCK_SIZE],
    ['blockSize + 1', BLOCK_SIZE + 1],
    ['stripe - 1', stripe - 1],
    ['stripe', stripe],
    ['stripe + 1', stripe + 1],
    ['3 stripes + 123', 3 * stripe + 123],
    ['random', 1 + Math.floor(random() * 5 * stripe)]
  ]
}

for (const c of codecCases()) {
  describe(`round trip through shard files: ${c.label}`, { skip: c.skip }, () => {
    for (const [label, size] of sizesFor(c.k)) {
      it(`${label} (${size} bytes)`, async () => {
        await withTempDir(async dir => {
          const { data, result } = await encodeGenerated(join(dir, 'shards'), c.id, c.k, c.m, size, BLOCK_SIZE)
          const { manifest } = result
          assert.equal(manifest.version, MANIFEST_VERSION)
          assert.equal(manifest.codec, c.id)
          assert.deepEqual([manifest.k, manifest.m, manifest.blockSize, manifest.fileSize], [c.k, c.m, BLOCK_SIZE, size])
          assert.deepEqual(manifest.fileHash, sha256(data))
          assert.deepEqual(decodeManifest(result.manifestBytes), manifest)
          for (let i = 0; i < c.k + c.m; i++) {
            assert.equal((await stat(shardPath(join(dir, 'shards'), i))).size, shardSize(manifest), `shard ${i} size`)
            assert.equal(manifest.shardHashes[i].byteLength, 32 * stripeCount(manifest))
          }
          const { data: decoded, report, source } = await decodeFromDir(join(dir, 'shards'), manifest)
          assert.deepEqual(report, { missing: [], corrupt: [], rebuilt: [] })
          assert.deepEqual(source.reported, [])
          assert.equal(decoded.byteLength, size)
          assert.ok(Buffer.from(decoded).equals(Buffer.from(data)), 'decoded bytes differ from the input')
        })
      })
    }
  })
}

describe('the same input encodes to the same shards and manifest', () => {
  for (const c of codecCases([[4, 2]])) {
    it(c.label, { skip: c.skip }, async () => {
      await withTempDir(async dir => {
        const a = await encodeGenerated(join(dir, 'a'), c.id, c.k, c.m, 5 * BLOCK_SIZE + 17, BLOCK_SIZE, 7)
        const b = await encodeGenerated(join(dir, 'b'), c.id, c.k, c.m, 5 * BLOCK_SIZE + 17, BLOCK_SIZE, 7)
        assert.equal(a.result.cid, b.result.cid)
        assert.deepEqual(a.result.manifestBytes, b.result.manifestBytes)
      })
    })
  }
})

describe('decodeFile with a misbehaving source', () => {
  it('a block of the wrong length is rejected as corrupt and rebuilt, a missing shard is skipped', async () => {
    await withTempDir(async dir => {
      const { data, result } = await encodeGenerated(dir, 'rs-wasm-1', 4, 2, 2 * 4 * BLOCK_SIZE, BLOCK_SIZE)
      const { manifest } = result
      const files = new FileShardSource(dir, BLOCK_SIZE)
      const reads: Array<[number, number]> = []
      const out: Uint8Array[] = []
      const report = await decodeFile(manifest, {
        readBlock: async (index, stripe, size) => {
          reads.push([index, stripe])
          if (index === 4) return null
          const block = await files.readBlock(index, stripe, size)
          // Shard 1 hands its real block plus one junk byte: a length check, not only the hash, must catch it.
          return index === 1 && block != null ? concat([block, new Uint8Array(1)]) : block
        }
      }, async chunk => { out.push(chunk.slice()) })
      await files.close()
      assert.deepEqual(lossReport(report), { missing: [4], corrupt: [1], rebuilt: [1] })
      assert.deepEqual(reads, [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [0, 1], [1, 1], [2, 1], [3, 1], [5, 1]])
      assert.ok(Buffer.from(concat(out)).equals(Buffer.from(data)))
    })
  })
})
