// Deleting a file on real loopback swarms (#15 item 2): the owner's rm reclaims the space on every holder after the
// grace, the file stays fetchable during it, a non-owner's or a forged delete is refused, an unknown CID is a clear
// error, and a holder that was down during the rm drops its copy when it is back instead of repairing the file.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { manifestCid } from '../../coder/manifest.ts'
import type { EdgemirrorNode } from '../../node/edgemirror-node.ts'
import { loadOrCreateIdentity } from '../../node/identity.ts'
import { signTombstone } from '../../node/ownership.ts'
import { askDelete } from '../../node/transfer/shard-client.ts'
import { chunksOf, collect, FAST_DETECTION, type TestSwarm, waitFor, withSwarm } from './swarm.ts'

const DEADLINE_MS = 30_000

async function storedBytes (node: EdgemirrorNode): Promise<{ bytes: number, shards: number, manifests: number }> {
  const { bytes, shards, manifests } = await node.storeStats()
  return { bytes, shards, manifests }
}

/** A delete sent over the wire exactly as a peer would send it. */
function dialFrom (node: EdgemirrorNode): (peer: string, protocol: string) => Promise<any> {
  return async (peer, protocol) => await node.host.dialProtocol((await import('@libp2p/peer-id')).peerIdFromString(peer), protocol)
}

describe('rm on a loopback swarm', () => {
  it('reclaims the space on every holder after the grace, and check says deleted, also on a node that never held it', async () => {
    await withSwarm(5, { deleteGraceMs: 200 }, async (swarm) => {
      const before = await Promise.all(swarm.nodes.map(storedBytes))
      const data = randomBytes(150_000)
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k: 2, m: 1, blockSize: 16 * 1024 })
      const during = await Promise.all(swarm.nodes.map(storedBytes))
      assert.ok(during.some((d, i) => d.bytes > before[i].bytes), 'the share stored something')

      const removed = await swarm.nodes[0].rm(shared.cid)
      assert.equal(removed.deleted, true)
      assert.equal(removed.holders.length, new Set([...shared.shards.map(s => s.peer), swarm.nodes[0].peerId]).size, 'every holder (and the sharer) was told')
      assert.ok(removed.holders.every(h => h.outcome === 'deleted'), JSON.stringify(removed.holders))

      const grown = during.reduce((sum, d, i) => sum + d.bytes - before[i].bytes, 0)
      const reclaimed = async (): Promise<number> => (await Promise.all(swarm.nodes.map(async n => (await n.status()).deletes.bytesReclaimed))).reduce((a, b) => a + b, 0)
      // A holder counts what it removed a moment after the bytes are gone: wait for both.
      await waitFor(async () => {
        const now = await Promise.all(swarm.nodes.map(storedBytes))
        return now.every((n, i) => n.bytes === before[i].bytes && n.shards === before[i].shards && n.manifests === before[i].manifests) && await reclaimed() === grown
      }, DEADLINE_MS, 'every store back to its size before the share, status counting exactly the bytes the share had stored')
      const statuses = await Promise.all(swarm.nodes.map(async n => await n.status()))
      assert.equal(statuses.reduce((sum, s) => sum + s.deletes.deletesPending, 0), 0)

      const check = await swarm.nodes[0].check(shared.cid)
      assert.equal(check.deleted?.purged, true)
      assert.deepEqual(check.deleted?.deletedBy, [swarm.nodes[0].peerId])
      // A node that never held it learns who deleted it from the tombstones its former holders keep.
      const outsider = swarm.nodes.findIndex((n, i) => i !== 0 && !shared.shards.some(s => s.peer === n.peerId))
      const seen = await swarm.nodes[outsider].check(shared.cid)
      assert.deepEqual(seen.deleted, { deletedBy: [swarm.nodes[0].peerId], deletedAt: check.deleted?.deletedAt, purgeAt: null, purged: true })
      await assert.rejects(async () => await collect((await swarm.nodes[outsider].fetch(shared.cid)).body), 'a removed file cannot be fetched')
    })
  })

  it('same bytes shared by two nodes are stored once and owned by both: one owner\'s rm releases its claim, the second one\'s reclaims the space', async () => {
    await withSwarm(5, { deleteGraceMs: 200 }, async (swarm) => {
      const before = await Promise.all(swarm.nodes.map(storedBytes))
      const data = randomBytes(140_000)
      const options = { size: data.byteLength, k: 2, m: 1, blockSize: 16 * 1024 }
      const first = await swarm.nodes[0].share(chunksOf(data), options)
      const stored = await Promise.all(swarm.nodes.map(storedBytes))
      // The second share stores nothing new (dedup), so its claim travels by the claim protocol, not in a put.
      const second = await swarm.nodes[1].share(chunksOf(data), options)
      assert.equal(second.cid, first.cid)
      assert.deepEqual(second.alreadyHeld, [0, 1, 2])
      assert.deepEqual(second.warnings, [], 'every holder recorded the second owner')
      assert.deepEqual((await Promise.all(swarm.nodes.map(storedBytes))).map(s => s.shards), stored.map(s => s.shards))

      const released = await swarm.nodes[0].rm(first.cid)
      assert.equal(released.deleted, false, 'the other owner still owns it')
      const holders = new Set(first.shards.map(s => s.peer))
      assert.ok(released.holders.filter(h => holders.has(h.peer)).every(h => h.outcome === 'released'), JSON.stringify(released.holders))
      assert.ok((await collect((await swarm.nodes[4].fetch(first.cid)).body)).equals(data), 'still whole after one owner\'s rm')
      assert.equal((await swarm.nodes[2].check(first.cid)).deleted, undefined)

      const removed = await swarm.nodes[1].rm(first.cid)
      assert.equal(removed.deleted, true)
      await waitFor(async () => (await Promise.all(swarm.nodes.map(storedBytes))).every((n, i) => n.bytes === before[i].bytes && n.shards === before[i].shards),
        DEADLINE_MS, 'every store back to its size before the shares once both owners removed the file')
    })
  })

  it('keeps the file fetchable during the grace; refuses a non-owner, a forged or tampered delete and an unknown CID', async () => {
    await withSwarm(4, {}, async (swarm) => {
      const data = randomBytes(120_000)
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k: 2, m: 1, blockSize: 16 * 1024 })
      const holder = shared.shards.find(s => s.peer !== swarm.nodes[0].peerId)?.peer as string
      const stored = await Promise.all(swarm.nodes.map(storedBytes))

      // Another peer did not share it: refused everywhere, nothing changes.
      const stranger = swarm.nodes.findIndex((n, i) => i !== 0 && n.peerId !== holder)
      await assert.rejects(swarm.nodes[stranger].rm(shared.cid), { code: 'ERR_NOT_OWNER' })

      // A tombstone naming the owner but signed by another key, and the owner's real one altered after signing.
      const ownerKey = await loadOrCreateIdentity(swarm.repos[0])
      const strangerKey = await loadOrCreateIdentity(swarm.repos[stranger])
      const dial = dialFrom(swarm.nodes[stranger])
      const forged = await signTombstone(strangerKey, swarm.nodes[0].peerId, shared.cid, Date.now(), 0)
      await assert.rejects(askDelete(dial, holder, forged), { code: 'ERR_INVALID_SIGNATURE' })
      const real = await signTombstone(ownerKey, swarm.nodes[0].peerId, shared.cid, Date.now(), 600_000)
      await assert.rejects(askDelete(dial, holder, { ...real, graceMs: 0 }), { code: 'ERR_INVALID_SIGNATURE' })
      const flipped = real.signature.slice()
      flipped[7] ^= 1
      await assert.rejects(askDelete(dial, holder, { ...real, signature: flipped }), { code: 'ERR_INVALID_SIGNATURE' })
      // The stranger's own, correctly signed: it is not an owner.
      const own = await signTombstone(strangerKey, swarm.nodes[stranger].peerId, shared.cid, Date.now(), 0)
      await assert.rejects(askDelete(dial, holder, own), { code: 'ERR_NOT_OWNER' })
      assert.deepEqual(await Promise.all(swarm.nodes.map(storedBytes)), stored, 'no refused delete changed a store')
      assert.equal((await swarm.nodes[0].check(shared.cid)).deleted, undefined)

      const unknown = (await manifestCid(randomBytes(32))).toString()
      await assert.rejects(swarm.nodes[0].rm(unknown), { code: 'ERR_NOT_FOUND' })
      await assert.rejects(swarm.nodes[0].rm('not-a-cid'), { code: 'ERR_INVALID_CID' })

      // The owner's rm with the default grace (10 min): deleted, and still there to fetch and check.
      const removed = await swarm.nodes[0].rm(shared.cid)
      assert.equal(removed.deleted, true)
      assert.ok(removed.purgeAt !== null && removed.purgeAt > Date.now(), 'the bytes go later')
      const start = await swarm.nodes[3].fetch(shared.cid)
      assert.ok((await collect(start.body)).equals(data), 'fetchable during the grace')
      const check = await swarm.nodes[0].check(shared.cid)
      assert.equal(check.deleted?.purged, false)
      assert.equal(check.live, 3)
      assert.ok((await swarm.nodes[0].status()).deletes.deletesPending >= 1)
      await assert.rejects(swarm.nodes[0].repair(shared.cid), { code: 'ERR_DELETED' })
    })
  })

  it('a holder that was down during the rm drops its copy when it is back, and repair does not bring the file back', async () => {
    // Replicas (k = 1): one returning copy is enough to rebuild the whole file, so a repair would resurrect it. Dead
    // after 60 s: no repair of the stopped holder's copy before the rm, so the only copy left is the returning one.
    await withSwarm(4, { ...FAST_DETECTION, deadAfterMs: 60_000, deleteGraceMs: 200 }, async (swarm) => {
      const before = await Promise.all(swarm.nodes.map(storedBytes))
      const data = randomBytes(100_000)
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k: 1, m: 2, blockSize: 16 * 1024 })
      const ids = swarm.nodes.map(n => n.peerId)
      const away = ids.indexOf(shared.shards.map(s => s.peer).find(p => p !== ids[0]) as string)
      // Every holder has had a shard report from every other: a holder stopped before anyone heard from it would leave
      // its index unheld in their maps, and they would rebuild it at once (before the rm), which is another test.
      await waitFor(async () => {
        const views = (await Promise.all(swarm.nodes.map(async n => (await n.check(shared.cid)).repair))).filter(v => v !== undefined)
        return views.length >= 3 && views.every(v => v?.health === 'healthy')
      }, DEADLINE_MS, 'every holder to see the file healthy')
      await swarm.kill(away)

      const removed = await swarm.nodes[0].rm(shared.cid)
      assert.equal(removed.deleted, true)
      assert.ok(!removed.holders.some(h => h.peer === ids[away]), 'the stopped holder was not reached')
      await waitFor(async () => {
        for (const i of swarm.alive()) if ((await storedBytes(swarm.nodes[i])).bytes !== before[i].bytes) return false
        return true
      }, DEADLINE_MS, 'the live holders to remove the file')

      await swarm.restart(away)
      assert.ok((await storedBytes(swarm.nodes[away])).shards > 0, 'it came back with its copy')
      // The returning holder counts its removal once the record says so, a moment after the bytes are gone.
      await waitFor(async () => {
        const now = await Promise.all(swarm.nodes.map(storedBytes))
        const same = now.every((n, i) => n.bytes === before[i].bytes && n.shards === before[i].shards && n.manifests === before[i].manifests)
        return same && (await swarm.nodes[away].status()).deletes.filesDeleted === 1
      }, DEADLINE_MS, 'the returning holder to remove its copy, and no copy anywhere')
      const statuses = await Promise.all(swarm.nodes.map(async n => await n.status()))
      assert.equal(statuses.reduce((sum, s) => sum + s.repairsDone, 0), 0, 'nothing was repaired')
      // Gone for good (its bytes purged everywhere): not resurrected by the returning copy.
      await assert.rejects(swarm.nodes[away].fetch(shared.cid), { code: 'ERR_NOT_FOUND' })
      // Right after: the returning node shares, and another node reads it.
      const fresh = randomBytes(50_000)
      const again = await swarm.nodes[away].share(chunksOf(fresh), { size: fresh.byteLength, k: 1, m: 2, blockSize: 16 * 1024 })
      const read = await swarm.nodes[0].fetch(again.cid)
      assert.ok((await collect(read.body)).equals(fresh))
      await read.done
    })
  })
})
