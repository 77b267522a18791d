// The delete service on one node's store (no sockets: the holder side of the delete protocol and of the tombstones in
// shard reports): a file shared by two owners stays until both deleted it, forged or stranger tombstones from a
// report change nothing, and a deleted file's bytes go after the grace, counted in the stats.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DeleteService } from '../../../node/delete/delete-service.ts'
import { signOwnerClaim, signTombstone, withClaims } from '../../../node/ownership.ts'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'
import { waitFor } from '../../harness/poll.ts'
import { pattern, putShard, testCid } from '../store/compliance.ts'

const CID = testCid('dele')

async function identity (): Promise<{ key: Awaited<ReturnType<typeof generateKeyPair>>, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

async function holder (graceMs: number): Promise<{ store: MemoryShardStore, service: DeleteService }> {
  const store = new MemoryShardStore()
  await store.start()
  await putShard(store, CID, 0, pattern(5000))
  await store.putManifest(CID, pattern(300, 2))
  const service = new DeleteService({
    selfId: 'self',
    store,
    manifests: { forget: () => {} },
    dial: async () => { throw new Error('no network in this test') },
    connectedPeers: () => [],
    signTombstone: async () => { throw new Error('this node deletes nothing here') }
  }, { graceMs })
  await service.start()
  return { store, service }
}

describe('DeleteService on a holder', () => {
  it('drops a manifest copy kept by a reader (no shard, no owners known) on any validly signed delete', async () => {
    const a = await identity()
    const { store, service } = await holder(600_000)
    try {
      await store.deleteShard(CID, 0) // a reader: only the manifest it fetched
      await assert.rejects(service.accept({ ...await signTombstone(a.key, a.id, CID, 30, 0), graceMs: 5 }), { code: 'ERR_INVALID_SIGNATURE' })
      assert.equal(await store.hasManifest(CID), true)
      const answer = await service.accept(await signTombstone(a.key, a.id, CID, 30, 0))
      assert.equal(answer.cacheOnly, true)
      assert.equal(await store.hasManifest(CID), false)
      assert.deepEqual(await store.stats(), { shards: 0, manifests: 0, bytes: 0, reservedBytes: 0, capacity: null, freeBytes: Infinity })
      assert.equal(await store.getOwnership(CID), undefined, 'no record made up for it')
      await assert.rejects(service.accept(await signTombstone(a.key, a.id, CID, 30, 0)), { code: 'ERR_NOT_FOUND' })
    } finally {
      await service.stop()
    }
  })


  it('keeps a file two nodes shared until both deleted it, then removes its bytes after the grace', async () => {
    const a = await identity()
    const b = await identity()
    const { store, service } = await holder(0)
    try {
      const claims = [await signOwnerClaim(a.key, a.id, CID, 10), await signOwnerClaim(b.key, b.id, CID, 20)]
      await store.updateOwnership(CID, r => withClaims(r, claims))
      assert.deepEqual(await service.accept(await signTombstone(a.key, a.id, CID, 30, 0)), { deleted: false, purgeAt: null, cacheOnly: false }, 'a released only its own claim')
      assert.equal(await service.isDeleted(CID), false)
      assert.equal((await store.stats()).shards, 1)
      const answer = await service.accept(await signTombstone(b.key, b.id, CID, 40, 0))
      assert.equal(answer.deleted, true)
      await waitFor(async () => (await store.stats()).bytes === 0 && service.counters().filesDeleted === 1, 10_000, 'the bytes to be removed')
      assert.deepEqual(service.counters(), { filesDeleted: 1, bytesReclaimed: 5300, deletesPending: 0 })
      assert.equal((await service.deletion(CID))?.purged, true)
      assert.deepEqual((await store.getOwnership(CID))?.tombstones.length, 2, 'the tombstones outlive the bytes')
    } finally {
      await service.stop()
    }
  })

  it('believes a reported tombstone only when its owner signed it and owns the file here', async () => {
    const a = await identity()
    const stranger = await identity()
    const { store, service } = await holder(600_000)
    try {
      const claim = await signOwnerClaim(a.key, a.id, CID, 10)
      await store.updateOwnership(CID, r => withClaims(r, [claim]))
      const real = await signTombstone(a.key, a.id, CID, 30, 600_000)
      const forged = await signTombstone(stranger.key, a.id, CID, 30, 600_000)
      const strangers = await signTombstone(stranger.key, stranger.id, CID, 30, 600_000)
      await service.learn(CID, [forged, strangers, { ...real, graceMs: 1 }, { ...real, cid: testCid('othr') }])
      assert.equal(await service.isDeleted(CID), false)
      assert.deepEqual((await store.getOwnership(CID))?.tombstones, [])
      await assert.rejects(service.accept(forged), { code: 'ERR_INVALID_SIGNATURE' })
      await assert.rejects(service.accept(strangers), { code: 'ERR_NOT_OWNER' })
      await assert.rejects(service.accept(await signTombstone(a.key, a.id, testCid('none'), 30, 0)), { code: 'ERR_NOT_FOUND' })
      await service.learn(CID, [real])
      assert.equal(await service.isDeleted(CID), true)
      assert.equal(service.counters().deletesPending, 1, 'in its grace: still stored')
      assert.equal((await store.stats()).shards, 1)
    } finally {
      await service.stop()
    }
  })
})
