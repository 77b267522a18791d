// readStoredBlocks: the blocks of a stored shard, whole and in order, however the store chunks its reads, and an
// error (never a short block) when the stored bytes run out.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockOffset, shardSize, stripeBlockSize, stripeCount, type Geometry } from '../../../coder/layout.ts'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'
import { readStoredBlock, readStoredBlocks } from '../../../node/store/read-block.ts'
import type { ShardStore } from '../../../node/store/shard-store.ts'
import { pseudoRandomBytes } from '../../coder/helpers.ts'

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
/** 4 stripes of 4 KiB blocks and a short fifth (2,000 bytes of file over k = 2: 1,000-byte blocks). */
const GEOMETRY: Geometry = { k: 2, m: 1, blockSize: 4096, fileSize: 4 * 2 * 4096 + 2000 }

async function storeWithShard (bytes: Uint8Array): Promise<MemoryShardStore> {
  const store = new MemoryShardStore()
  await store.start()
  const writer = await store.createShardWriter(bytes.byteLength)
  await writer.write(bytes)
  await writer.commit(CID, 0)
  return store
}

/** The same store, but every read comes back in `size`-byte chunks. */
function rechunked (store: ShardStore, size: number): ShardStore {
  return new Proxy(store, {
    get (target, prop, receiver) {
      if (prop !== 'readShard') return Reflect.get(target, prop, receiver)
      return async function * (...args: Parameters<ShardStore['readShard']>) {
        for await (const chunk of target.readShard(...args)) {
          for (let o = 0; o < chunk.byteLength; o += size) yield chunk.slice(o, Math.min(o + size, chunk.byteLength))
        }
      }
    }
  })
}

async function collect (blocks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const block of blocks) out.push(block)
  return out
}

describe('readStoredBlocks', () => {
  const bytes = pseudoRandomBytes(9, shardSize(GEOMETRY))
  const expected = (s: number): Uint8Array => bytes.subarray(blockOffset(GEOMETRY, s), blockOffset(GEOMETRY, s) + stripeBlockSize(GEOMETRY, s))
  const stripes = stripeCount(GEOMETRY)

  it('returns each block of a range whole, for chunks of the block size, smaller, odd and larger', async () => {
    const store = await storeWithShard(bytes)
    for (const source of [store, rechunked(store, 1000), rechunked(store, 4097), rechunked(store, 7)]) {
      for (const [from, to] of [[0, stripes], [1, 3], [stripes - 1, stripes], [2, 2]]) {
        const blocks = await collect(readStoredBlocks(source, CID, 0, GEOMETRY, from, to))
        assert.equal(blocks.length, to - from)
        blocks.forEach((block, i) => { assert.deepEqual(block, expected(from + i), `block ${from + i}`) })
      }
      assert.deepEqual(await readStoredBlock(source, CID, 0, GEOMETRY, stripes - 1), expected(stripes - 1))
    }
  })

  it('fails, rather than returning a short block, when the stored shard is shorter than its geometry', async () => {
    const store = await storeWithShard(bytes.subarray(0, bytes.byteLength - 10))
    await assert.rejects(collect(readStoredBlocks(store, CID, 0, GEOMETRY, 0, stripes)), { code: 'ERR_STORE_CORRUPT' })
    await assert.rejects(readStoredBlock(store, CID, 0, GEOMETRY, stripes - 1), { code: 'ERR_STORE_CORRUPT' })
  })
})
