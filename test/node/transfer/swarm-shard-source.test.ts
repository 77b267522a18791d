// SwarmShardSource over this node's own store (no sockets): a read a few stripes ahead stays on the open stream and
// drops the blocks between, a read far ahead or behind starts a new stream, and every block returned is the right one.
// A bad own copy (short on disk, or failing its hash) is quarantined and reported, for fetch and repair reads alike.
import assert from 'node:assert/strict'
import { mkdtemp, rm, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { FsShardStore } from '../../../node/store/fs-shard-store.ts'
import type { Manifest } from '../../../coder/manifest.ts'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'
import type { ReadShardOptions } from '../../../node/store/shard-store.ts'
import { MAX_SKIP_STRIPES, SwarmShardSource } from '../../../node/transfer/swarm-shard-source.ts'
import { pattern, putShard, testCid } from '../store/compliance.ts'

const BLOCK = 4096
const STRIPES = 40
const SELF = 'self'

async function fixture (): Promise<{ source: SwarmShardSource, opens: number[], shard: Uint8Array }> {
  const cid = testCid('skip')
  const shard = pattern(BLOCK * STRIPES, 3)
  const store = new MemoryShardStore()
  await store.start()
  await putShard(store, cid, 0, shard)
  const opens: number[] = []
  const readShard = store.readShard.bind(store)
  // Count streams: each cursor reads its shard with one readShard call per block, starting at its first stripe.
  let lastOffset = -1
  store.readShard = (c: string, index: number, options?: ReadShardOptions) => {
    const offset = options?.offset ?? 0
    if (offset !== lastOffset + BLOCK) opens.push(offset / BLOCK)
    lastOffset = offset
    return readShard(c, index, options)
  }
  const manifest = { version: 1, codec: 'replica', k: 1, m: 0, blockSize: BLOCK, fileSize: shard.byteLength, fileHash: new Uint8Array(32), shardHashes: [new Uint8Array(32 * STRIPES)], createdAt: 0 } as Manifest
  const source = new SwarmShardSource({ selfId: SELF, store, dial: async () => { throw new Error('no network in this test') } }, cid, manifest, new Map([[0, [SELF]]]))
  return { source, opens, shard }
}

const blockOf = (shard: Uint8Array, stripe: number): Uint8Array => shard.subarray(stripe * BLOCK, (stripe + 1) * BLOCK)

describe('SwarmShardSource', () => {
  it('keeps one stream for reads that skip a few stripes, and restarts for far or backward reads', async () => {
    const { source, opens, shard } = await fixture()
    const read = async (stripe: number): Promise<void> => {
      assert.deepEqual(await source.readBlock(0, stripe), blockOf(shard, stripe), `block ${stripe}`)
    }
    await read(0)
    await read(1)
    await read(3) // a hedged stripe skipped 2
    await read(3 + 1 + MAX_SKIP_STRIPES) // the most a stream may skip
    assert.deepEqual(opens, [0], 'one stream so far')
    await read(30) // far ahead
    await read(2) // behind
    assert.deepEqual(opens, [0, 30, 2])
    await source.close()
  })

  it('serves overlapping reads of one shard in stripe order from one stream', async () => {
    const { source, opens, shard } = await fixture()
    const blocks = await Promise.all([0, 1, 2, 5].map(async s => await source.readBlock(0, s)))
    assert.deepEqual(blocks, [0, 1, 2, 5].map(s => blockOf(shard, s)))
    assert.deepEqual(opens, [0])
    await source.close()
  })
})

describe('SwarmShardSource and a bad own copy', () => {
  const manifestFor = (bytes: number): Manifest => ({ version: 1, codec: 'replica', k: 1, m: 0, blockSize: BLOCK, fileSize: bytes, fileHash: new Uint8Array(32), shardHashes: [new Uint8Array(32 * STRIPES)], createdAt: 0 } as Manifest)
  const noNetwork = async (): Promise<never> => { throw new Error('no network in this test') }

  it('quarantines a shard truncated on disk at the first read, reports it, and has no block for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-source-'))
    const store = new FsShardStore({ dir })
    try {
      await store.start()
      const cid = testCid('short')
      await putShard(store, cid, 0, pattern(BLOCK * STRIPES, 5))
      await truncate(join(dir, 'shards', cid, '0'), BLOCK * 2 + 10)
      const reported: Array<[string, number]> = []
      const source = new SwarmShardSource({ selfId: SELF, store, dial: noNetwork, onCorruptShard: (c, i) => { reported.push([c, i]) } }, cid, manifestFor(BLOCK * STRIPES), new Map([[0, [SELF]]]))
      // Block 0 is still on disk, but the file is not what was committed: the read fails and the shard goes.
      assert.equal(await source.readBlock(0, 0), null)
      assert.deepEqual(await store.listShards(cid), [], 'out of the served set')
      assert.deepEqual(reported, [[cid, 0]])
      await source.close()
    } finally {
      await store.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('quarantines an own copy reported corrupt, and says whether another holder is left', async () => {
    const { source, shard } = await fixture()
    assert.deepEqual(await source.readBlock(0, 0), blockOf(shard, 0))
    assert.equal(source.reportCorrupt(0, 0), false, 'this node was the only holder')
    assert.deepEqual(source.badHolders(), [], 'a rotten own copy is not a lying holder')
    await source.close()

    const store = new MemoryShardStore()
    await store.start()
    const cid = testCid('two')
    await putShard(store, cid, 0, shard)
    const reported: number[] = []
    const two = new SwarmShardSource({ selfId: SELF, store, dial: noNetwork, onCorruptShard: (_c, i) => { reported.push(i) } }, cid, manifestFor(shard.byteLength), new Map([[0, [SELF, 'other']]]))
    assert.deepEqual(await two.readBlock(0, 0), blockOf(shard, 0))
    assert.equal(two.reportCorrupt(0, 0), true, 'the other holder is left to try')
    await waitUntil(async () => (await store.listShards(cid)).length === 0)
    assert.deepEqual(reported, [0])
    await two.close()
  })
})

async function waitUntil (condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

describe('a remote stream that breaks after delivering', () => {
  /** A source whose remote streams (open(), the network's side) come from `streams`: each call to open takes the next
   *  script, a list of blocks to deliver and whether the stream then breaks. */
  function scripted (scripts: Array<{ blocks: number, breaks: boolean }>): { source: SwarmShardSource, opened: number[] } {
    const opened: number[] = []
    const manifest = { version: 1, codec: 'replica', k: 1, m: 0, blockSize: BLOCK, fileSize: BLOCK * STRIPES, fileHash: new Uint8Array(32), shardHashes: [new Uint8Array(32 * STRIPES)], createdAt: 0 } as Manifest
    const source = new SwarmShardSource({ selfId: SELF, store: new MemoryShardStore(), dial: async () => { throw new Error('no network in this test') } }, testCid('remote'), manifest, new Map([[0, ['remote']]]))
    ;(source as unknown as { open: (peer: string, index: number, from: number) => AsyncGenerator<Uint8Array> }).open = async function * (_peer, _index, from) {
      opened.push(from)
      const script = scripts.shift() ?? { blocks: 0, breaks: true }
      for (let s = from; s < from + script.blocks; s++) yield pattern(BLOCK, s)
      if (script.breaks) throw new Error('stream reset')
    }
    return { source, opened }
  }

  it('is opened again once, where it broke, and the read goes on from the same holder', async () => {
    const { source, opened } = scripted([{ blocks: 3, breaks: true }, { blocks: STRIPES, breaks: false }])
    for (let s = 0; s < 6; s++) assert.deepEqual(await source.readBlock(0, s), pattern(BLOCK, s))
    assert.deepEqual(opened, [0, 3])
  })

  it('a stream that delivers nothing is not reopened: the holder counts as failed for the shard', async () => {
    const { source, opened } = scripted([{ blocks: 0, breaks: true }, { blocks: STRIPES, breaks: false }])
    assert.equal(await source.readBlock(0, 0), null)
    assert.deepEqual(opened, [0])
  })

  it('a fresh stream that breaks again before a block arrives drops the holder', async () => {
    const { source, opened } = scripted([{ blocks: 2, breaks: true }, { blocks: 0, breaks: true }, { blocks: STRIPES, breaks: false }])
    assert.ok(await source.readBlock(0, 0) !== null)
    assert.ok(await source.readBlock(0, 1) !== null)
    assert.equal(await source.readBlock(0, 2), null)
    assert.deepEqual(opened, [0, 2])
  })
})
