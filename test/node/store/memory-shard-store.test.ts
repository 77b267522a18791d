import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'
import { putShard, runShardStoreCompliance, testCid } from './compliance.ts'

runShardStoreCompliance('MemoryShardStore', async (options = {}) => ({
  store: new MemoryShardStore({ capacity: options.capacity }),
  cleanup: async () => {}
}))

describe('MemoryShardStore', () => {
  it('keeps quarantined shards for inspection', async () => {
    const store = new MemoryShardStore()
    await store.start()
    await putShard(store, testCid('a'), 4, new Uint8Array([1, 2, 3]))
    await store.quarantineShard(testCid('a'), 4, 'bad block 0')
    assert.equal(store.quarantined.length, 1)
    assert.deepEqual({ ...store.quarantined[0], quarantinedAt: 0 }, { cid: testCid('a'), index: 4, bytes: new Uint8Array([1, 2, 3]), reason: 'bad block 0', quarantinedAt: 0 })
    await store.stop()
  })
})
