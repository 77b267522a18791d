// A put's owner claims at the receiver (put 3.0.0): kept at commit, a forged one refused, and a put of a file this
// node knows to be deleted refused unless it brings a claim newer than its owner's delete (the owner shared the same
// bytes again), which brings the file back.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { codecIdFor, createCodec } from '../../../coder/codecs.ts'
import { encodeFile } from '../../../coder/encoder.ts'
import { ManifestCache } from '../../../node/manifest-cache.ts'
import { isDeleted, signOwnerClaim, signTombstone, withClaims, withTombstone, type OwnerClaim } from '../../../node/ownership.ts'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'
import { ShardReceiver } from '../../../node/transfer/shard-receiver.ts'
import { pattern } from '../store/compliance.ts'

const GEOMETRY = { k: 1, m: 1, blockSize: 4096, fileSize: 10_000 }

/** The shard-0 blocks and manifest of a small file, encoded as a share would. */
async function encoded (): Promise<{ blocks: Uint8Array[], manifestBytes: Uint8Array, cid: string }> {
  const blocks: Uint8Array[] = []
  const codec = await createCodec(codecIdFor(GEOMETRY.k), GEOMETRY.k, GEOMETRY.m)
  async function * body (): AsyncGenerator<Uint8Array> { yield pattern(GEOMETRY.fileSize, 5) }
  const result = await encodeFile(body(), { codec, blockSize: GEOMETRY.blockSize }, async (stripe) => { blocks.push(stripe.blocks[0].slice()) })
  return { blocks, manifestBytes: result.manifestBytes, cid: result.cid }
}

async function put (store: MemoryShardStore, file: Awaited<ReturnType<typeof encoded>>, owners: OwnerClaim[]): Promise<void> {
  const receiver = await ShardReceiver.open(store, new ManifestCache(store), GEOMETRY, 0)
  try {
    for (const block of file.blocks) await receiver.writeBlock(block)
    await receiver.prepare(file.manifestBytes, owners)
    await receiver.commit()
  } finally {
    await receiver.abort()
  }
}

describe('ShardReceiver owner claims', () => {
  it('keeps the claims, refuses a forged one, and refuses a late put of a deleted file unless its owner shared it again', async () => {
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const other = await generateKeyPair('Ed25519')
    const file = await encoded()
    const store = new MemoryShardStore()
    await store.start()

    const claim = await signOwnerClaim(key, owner, file.cid, 1000)
    await assert.rejects(put(store, file, [await signOwnerClaim(other, owner, file.cid, 1000)]), { code: 'ERR_INVALID_SIGNATURE' })
    await assert.rejects(put(store, file, [{ ...claim, cid: file.cid.replace(/.$/, 'a') }]), { code: 'ERR_INVALID_SIGNATURE' })
    assert.deepEqual(await store.listShards(), [], 'nothing kept from a refused put')

    await put(store, file, [claim])
    assert.deepEqual((await store.getOwnership(file.cid))?.owners.map(c => c.owner), [owner])

    // The owner deletes it; this holder removes the bytes (as the delete service does after the grace).
    const tombstone = await signTombstone(key, owner, file.cid, 2000, 0)
    await store.updateOwnership(file.cid, current => withTombstone(withClaims(current, []), tombstone, 0))
    await store.deleteShard(file.cid, 0)
    await store.deleteManifest(file.cid)
    // A repair that has not heard of the delete brings the old claim, or none: refused.
    await assert.rejects(put(store, file, [claim]), { code: 'ERR_DELETED' })
    await assert.rejects(put(store, file, []), { code: 'ERR_DELETED' })
    assert.deepEqual(await store.listShards(), [])
    // The owner shares the same bytes again: a newer claim, accepted, and the file is no longer deleted.
    await put(store, file, [await signOwnerClaim(key, owner, file.cid, 3000)])
    assert.deepEqual((await store.listShards()).map(s => s.index), [0])
    assert.equal(isDeleted(await store.getOwnership(file.cid)), false)
    await store.stop()
  })
})
