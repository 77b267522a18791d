// Receiving one shard, whether it arrives from a peer (put protocol) or from this node's own share: blocks are
// hashed as they are written to a temp file, and the shard is committed only if the manifest that follows agrees
// with every one of them. One path for both, so a local shard is held to the same standard as a remote one (a local
// block may come with the hash the encoder just computed for it, which saves hashing it twice in one process).
import { equalBytes } from '../../coder/codec-support.ts'
import { HASH_LENGTH, MAX_MANIFEST_BYTES } from '../../coder/constants.ts'
import { AbortedError, HashMismatchError } from '../../coder/errors.ts'
import { sha256 } from '../../coder/hash.ts'
import { assertGeometry, shardSize, stripeBlockSize, stripeCount, type Geometry } from '../../coder/layout.ts'
import { decodeManifest, manifestCid, type Manifest } from '../../coder/manifest.ts'
import { MANIFEST_TRAILER_SLACK } from '../constants.ts'
import { FileDeletedError, InvalidGeometryError, InvalidSignatureError, ProtocolError } from '../errors.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import { MAX_OWNERS, staysDeleted, verifyOwnerClaim, withClaims, type OwnerClaim } from '../ownership.ts'
import type { ShardStore, ShardWriter, StagedManifest } from '../store/shard-store.ts'

/** What a shard of a valid geometry costs a receiver, known before anything is reserved. */
export interface ShardLimits {
  stripes: number
  /** The first block is the largest (only the last stripe's can be shorter). */
  largestBlock: number
  /** The hash of every block, kept until the manifest arrives: stripes × 32 bytes. */
  hashBytes: number
  /** Most bytes the manifest trailer frame of this geometry can have (its block hashes plus MANIFEST_TRAILER_SLACK,
   *  and never more than MAX_MANIFEST_BYTES plus the 1 KiB of the trailer's own map). */
  trailerBytes: number
}

/**
 * Check a shard's geometry and index before anything is reserved for it (ERR_INVALID_GEOMETRY). A geometry whose
 * manifest would pass MAX_MANIFEST_BYTES can never be committed (no manifest could vouch for it), so it is refused here
 * rather than after a reservation of its shard size and a hash table of its stripe count: {k:1, m:1, blockSize:8,
 * fileSize:2^31} asked for 2 GiB of disk and an 8 GiB array, whose allocation threw after the space was reserved
 * (issue #13).
 */
export function checkShardGeometry (geometry: Geometry, index: number): ShardLimits {
  try {
    assertGeometry(geometry)
  } catch (err) {
    throw new InvalidGeometryError((err as Error).message, { ...geometry })
  }
  const n = geometry.k + geometry.m
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new InvalidGeometryError(`shard index ${index} out of range 0..${n - 1}`, { index })
  const stripes = stripeCount(geometry)
  const manifestHashBytes = n * stripes * HASH_LENGTH
  if (manifestHashBytes > MAX_MANIFEST_BYTES) {
    throw new InvalidGeometryError(`${stripes} stripes of ${n} shards need ${manifestHashBytes} bytes of block hashes, more than a manifest may hold (${MAX_MANIFEST_BYTES})`, { ...geometry, stripes })
  }
  return {
    stripes,
    largestBlock: stripes === 0 ? 0 : stripeBlockSize(geometry, 0),
    hashBytes: stripes * HASH_LENGTH,
    trailerBytes: Math.min(MAX_MANIFEST_BYTES, manifestHashBytes + MANIFEST_TRAILER_SLACK) + 1024 + MAX_OWNERS * OWNER_CLAIM_WIRE_BYTES
  }
}

/** Most bytes one owner claim takes in a trailer: a CID and a peer id of at most 128 characters each, a timestamp, a
 *  64-byte signature and the field names (~370 bytes), rounded up. */
const OWNER_CLAIM_WIRE_BYTES = 512

export class ShardReceiver {
  private stripe = 0
  private readonly hashes: Uint8Array
  private readonly stripes: number
  private aborted = false
  private prepared: { cid: string, manifest: Manifest, staged: StagedManifest | undefined, owners: OwnerClaim[] } | undefined

  private constructor (private readonly store: ShardStore, private readonly manifests: ManifestCache, private readonly writer: ShardWriter,
    private readonly geometry: Geometry, readonly index: number) {
    this.stripes = stripeCount(geometry)
    this.hashes = new Uint8Array(this.stripes * HASH_LENGTH)
  }

  /** Check the request (ERR_INVALID_GEOMETRY), then reserve space (ERR_STORE_FULL when it does not fit). Whatever
   *  fails after the reservation gives it back, with the temp file. */
  static async open (store: ShardStore, manifests: ManifestCache, geometry: Geometry, index: number): Promise<ShardReceiver> {
    checkShardGeometry(geometry, index)
    const writer = await store.createShardWriter(shardSize(geometry))
    try {
      return new ShardReceiver(store, manifests, writer, geometry, index)
    } catch (err) {
      await writer.abort()
      throw err
    }
  }

  /** Size of the next block expected, or undefined when all blocks are in. */
  nextBlockSize (): number | undefined {
    return this.stripe < this.stripes ? stripeBlockSize(this.geometry, this.stripe) : undefined
  }

  /** `knownHash`: the block's SHA-256 computed by this process (this node's own share), never one from the wire. */
  async writeBlock (block: Uint8Array, knownHash?: Uint8Array): Promise<void> {
    const size = this.nextBlockSize()
    if (size === undefined) throw new ProtocolError('more blocks than the geometry allows')
    if (block.byteLength !== size) throw new ProtocolError(`block ${this.stripe} has ${block.byteLength} bytes, expected ${size}`)
    this.hashes.set(knownHash ?? sha256(block), this.stripe * HASH_LENGTH)
    this.stripe++
    await this.writer.write(block)
  }

  /**
   * Phase one: verify every block against the manifest, fsync the shard and stage the manifest (reserving its room,
   * ERR_STORE_FULL when it does not fit). After this only renames are left, so commit() does not run out of space.
   * `owners`: the file's signed owner claims (put 3.0.0), kept at commit. Every one must be signed by its owner for
   * this CID (ERR_INVALID_SIGNATURE), and a put for a file this node knows to be deleted is refused (ERR_DELETED) unless
   * a claim is newer than its owner's tombstone (the owner shared it again). Returns the file's CID.
   */
  async prepare (manifestBytes: Uint8Array, owners: OwnerClaim[] = []): Promise<string> {
    if (this.prepared !== undefined) throw new ProtocolError('shard already prepared')
    if (this.stripe !== this.stripes) throw new ProtocolError(`got ${this.stripe} of ${this.stripes} blocks`)
    const manifest = decodeManifest(manifestBytes)
    const cid = (await manifestCid(manifestBytes)).toString()
    const g = this.geometry
    if (manifest.k !== g.k || manifest.m !== g.m || manifest.blockSize !== g.blockSize || manifest.fileSize !== g.fileSize) {
      throw new ProtocolError('manifest geometry differs from the shard that was sent')
    }
    if (!equalBytes(manifest.shardHashes[this.index], this.hashes)) {
      throw new HashMismatchError(`shard ${this.index} does not match the manifest`, { cid, index: this.index })
    }
    for (const claim of owners) {
      if (claim.cid !== cid || !(await verifyOwnerClaim(claim))) throw new InvalidSignatureError(`owner claim of ${claim.owner} for ${cid}`, { cid, owner: claim.owner })
    }
    // A repair by a holder that has not heard of the delete yet must not bring the file back here.
    if (staysDeleted(await this.store.getOwnership(cid), owners)) throw new FileDeletedError(cid)
    await this.writer.prepare()
    const staged = (await this.store.hasManifest(cid)) ? undefined : await this.store.stageManifest(cid, manifestBytes)
    if (this.aborted) {
      // abort() ran while the manifest was being staged (the sharer gave up on another holder): drop it here.
      await staged?.abort()
      throw new AbortedError('shard upload aborted while it was being prepared')
    }
    this.prepared = { cid, manifest, staged, owners }
    return cid
  }

  /** Phase two: publish the manifest (if this node did not hold it) and the shard. Returns the file's CID. */
  async commit (): Promise<string> {
    if (this.prepared === undefined) throw new ProtocolError('commit before the shard was prepared')
    const { cid, manifest, staged, owners } = this.prepared
    // Owners first: a crash between the two leaves a record without bytes (harmless), never bytes nobody may delete.
    if (owners.length > 0) await this.store.updateOwnership(cid, current => withClaims(current, owners))
    await staged?.commit()
    this.manifests.remember(cid, manifest)
    await this.writer.commit(cid, this.index)
    return cid
  }

  /** Both phases at once (put protocol 1.0.0, which has no separate commit). */
  async finish (manifestBytes: Uint8Array): Promise<string> {
    await this.prepare(manifestBytes, [])
    return await this.commit()
  }

  /** Drop the shard and a staged manifest; a no-op after commit. */
  async abort (): Promise<void> {
    this.aborted = true
    await Promise.all([this.writer.abort(), this.prepared?.staged?.abort()])
  }
}
