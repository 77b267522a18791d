// Owner claims and tombstones (node/ownership.ts): the canonical bytes they sign, signatures checked against nothing
// but the signer's peer id, and the rules that decide when a file is deleted.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  isDeleted, liveOwners, ownerClaimBytes, parseTombstone, recordFromJson, recordToJson, signOwnerClaim, signTombstone, staysDeleted, tombstoneBytes,
  verifyOwnerClaim, verifyTombstone, withClaims, withTombstone, MAX_DELETE_GRACE_MS
} from '../../node/ownership.ts'
import { encodeMessage, decodeMessage } from '../../node/wire/schema.ts'

const CID = 'bafkreibu5vw6fr7z3jtqmo4m2q2crfpuuhhenemtn7lwrropxi27fbkg3q'

async function identity (): Promise<{ key: Awaited<ReturnType<typeof generateKeyPair>>, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

describe('owner claims and tombstones', () => {
  it('sign a fixed, line-based encoding with a domain line of their own', () => {
    assert.equal(new TextDecoder().decode(ownerClaimBytes({ cid: CID, owner: '12D3KooWA', issuedAt: 1700000000000 })),
      `edgemirror/owner-claim/1\n${CID}\n12D3KooWA\n1700000000000\n`)
    assert.equal(new TextDecoder().decode(tombstoneBytes({ cid: CID, owner: '12D3KooWA', issuedAt: 1700000000000, graceMs: 600000 })),
      `edgemirror/delete/1\n${CID}\n12D3KooWA\n1700000000000\n600000\n`)
    assert.throws(() => ownerClaimBytes({ cid: `${CID}\nx`, owner: 'a', issuedAt: 1 }), TypeError)
    assert.throws(() => tombstoneBytes({ cid: CID, owner: 'a', issuedAt: 1.5, graceMs: 0 }), TypeError)
  })

  it('verify against the peer id alone, and fail for any change, another key, or another kind', async () => {
    const a = await identity()
    const b = await identity()
    const claim = await signOwnerClaim(a.key, a.id, CID, 1000)
    const tombstone = await signTombstone(a.key, a.id, CID, 2000, 60_000)
    assert.equal(await verifyOwnerClaim(claim), true)
    assert.equal(await verifyTombstone(tombstone), true)
    // Every signed field matters.
    assert.equal(await verifyTombstone({ ...tombstone, graceMs: 0 }), false)
    assert.equal(await verifyTombstone({ ...tombstone, issuedAt: 2001 }), false)
    assert.equal(await verifyTombstone({ ...tombstone, cid: CID.replace('q', 'a') }), false)
    assert.equal(await verifyOwnerClaim({ ...claim, owner: b.id }), false)
    const flipped = tombstone.signature.slice()
    flipped[0] ^= 0x80
    assert.equal(await verifyTombstone({ ...tombstone, signature: flipped }), false)
    assert.equal(await verifyTombstone({ ...tombstone, signature: tombstone.signature.subarray(0, 63) }), false)
    // b signing in a's name, a claim passed off as a tombstone, a peer id that is not one.
    assert.equal(await verifyTombstone(await signTombstone(b.key, a.id, CID, 2000, 60_000)), false)
    assert.equal(await verifyTombstone({ ...tombstone, graceMs: 0, signature: (await signOwnerClaim(a.key, a.id, CID, 2000)).signature }), false)
    assert.equal(await verifyTombstone({ ...tombstone, owner: 'not-a-peer-id' }), false)
    // A grace beyond the bound is refused even when signed.
    assert.equal(await verifyTombstone(await signTombstone(a.key, a.id, CID, 2000, MAX_DELETE_GRACE_MS + 1)), false)
  })

  it('round-trip through the wire form and are bounded there', async () => {
    const a = await identity()
    const tombstone = await signTombstone(a.key, a.id, CID, 2000, 60_000)
    const back = parseTombstone(decodeMessage(encodeMessage({ t: tombstone })).t)
    assert.deepEqual({ ...back, signature: [...back.signature] }, { ...tombstone, signature: [...tombstone.signature] })
    assert.equal(await verifyTombstone(back), true)
    assert.throws(() => parseTombstone({ ...tombstone, signature: new Uint8Array(65) }), { code: 'ERR_PROTOCOL' })
    assert.throws(() => parseTombstone({ ...tombstone, graceMs: MAX_DELETE_GRACE_MS + 1 }), { code: 'ERR_PROTOCOL' })
    assert.throws(() => parseTombstone({ ...tombstone, owner: 'x'.repeat(129) }), { code: 'ERR_PROTOCOL' })
  })
})

describe('the deletion rules', () => {
  const claim = (owner: string, issuedAt: number) => ({ cid: CID, owner, issuedAt, signature: new Uint8Array(64) })
  const tomb = (owner: string, issuedAt: number, graceMs = 1000) => ({ cid: CID, owner, issuedAt, graceMs, signature: new Uint8Array(64) })

  it('a file with two owners is deleted only when both have deleted it', () => {
    let r = withClaims(undefined, [claim('A', 10), claim('B', 20)])
    r = withTombstone(r, tomb('A', 30), 5000)
    assert.deepEqual(liveOwners(r), ['B'])
    assert.equal(isDeleted(r), false)
    assert.equal(r.purgeAt, undefined)
    r = withTombstone(r, tomb('B', 40, 700), 6000)
    assert.equal(isDeleted(r), true)
    assert.equal(r.purgeAt, 6700, 'the grace runs from when this node learned of the last delete')
  })

  it('ignores a tombstone from a peer that owns nothing here, and a file nobody claimed is never deleted', () => {
    const r = withTombstone(withClaims(undefined, [claim('A', 10)]), tomb('X', 30), 0)
    assert.equal(isDeleted(r), false)
    assert.deepEqual(r.tombstones, [])
    assert.equal(isDeleted({ owners: [], tombstones: [tomb('A', 1)] }), false)
  })

  it('a newer claim by the owner (the same bytes shared again) revives the file; an older one does not', () => {
    const deleted = withTombstone(withClaims(undefined, [claim('A', 10)]), tomb('A', 30), 100)
    assert.equal(isDeleted(deleted), true)
    assert.equal(staysDeleted(deleted, [claim('A', 10)]), true, 'a repair carrying the old claim does not bring it back')
    assert.equal(staysDeleted(deleted, []), true)
    assert.equal(staysDeleted(deleted, [claim('A', 50)]), false)
    const revived = withClaims({ ...deleted, purgedAt: 200 }, [claim('A', 50)])
    assert.equal(isDeleted(revived), false)
    assert.equal(revived.purgeAt, undefined)
    assert.equal(revived.purgedAt, undefined)
    // The old tombstone replayed later changes nothing.
    assert.equal(isDeleted(withTombstone(revived, tomb('A', 30), 300)), false)
  })

  it('survives the disk form, which is checked on the way back', () => {
    const r = { ...withTombstone(withClaims(undefined, [claim('A', 10)]), tomb('A', 30), 100) }
    assert.deepEqual(recordFromJson(CID, recordToJson(r)), r)
    assert.throws(() => recordFromJson(CID.replace('q', 'a'), recordToJson(r)), { code: 'ERR_PROTOCOL' })
    assert.throws(() => recordFromJson(CID, JSON.stringify({ version: 2, owners: [], tombstones: [] })), { code: 'ERR_PROTOCOL' })
    assert.throws(() => recordFromJson(CID, JSON.stringify({ version: 1, owners: Array(65).fill(null), tombstones: [] })), { code: 'ERR_PROTOCOL' })
  })
})
