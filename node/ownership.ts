// Who may delete a file: owner claims and tombstones, both signed with a node's libp2p identity key (Ed25519), so any
// holder can check them with nothing but the signer's peer id (an Ed25519 peer id embeds its public key). An owner
// claim says "I shared this CID at t"; a tombstone says "I, an owner, delete it at t, drop it after graceMs". A file is
// deleted once every owner that claimed it has a newer tombstone: the same bytes shared by two nodes have one CID and
// two owners, and one owner's rm only withdraws its own claim. Protocol and disk format: docs/PROTOCOLS.md ("delete"),
// docs/STORAGE.md ("Ownership records").
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_DELETE_GRACE_MS } from './constants.ts'
import { ProtocolError } from './errors.ts'
import { bytes, int, list, optInt, record as mapOf, str } from './wire/schema.ts'

/** "I shared `cid`" signed by `owner` at `issuedAt` (Unix ms, the owner's clock). */
export interface OwnerClaim { cid: string, owner: string, issuedAt: number, signature: Uint8Array }

/** "I, `owner`, delete `cid`": holders drop their shards `graceMs` after they learn of it. */
export interface Tombstone { cid: string, owner: string, issuedAt: number, graceMs: number, signature: Uint8Array }

/** What a holder keeps per CID: the latest claim and the latest tombstone of each owner, and when it will (or did)
 *  remove the file's bytes. `purgeAt` and `purgedAt` are this node's own bookkeeping (its clock), not signed. */
export interface OwnershipRecord {
  owners: OwnerClaim[]
  tombstones: Tombstone[]
  /** Set when the file became deleted here: shards and manifest go at this time (Unix ms). */
  purgeAt?: number
  /** Set once they are gone. */
  purgedAt?: number
}

/** Bounds on what a record may hold, for everything read from the wire or disk: one entry per owner, and a CID is
 *  rarely shared by more than a few nodes; 64 owners keep a record under ~20 KiB. */
export const MAX_OWNERS = 64
/** An Ed25519 signature is 64 bytes; the bound leaves room for nothing else. */
export const SIGNATURE_BYTES = 64

const OWNER_DOMAIN = 'edgemirror/owner-claim/1'
const DELETE_DOMAIN = 'edgemirror/delete/1'

/**
 * The bytes a claim or tombstone signs: a domain line (so a claim can never pass as a tombstone or anything else the
 * key signs), then one field per line. Lines, not a serialisation library: CIDs are base32, peer ids base58 and the
 * numbers decimal integers, none of which can hold a newline, so the encoding is unambiguous and the same in every
 * implementation and version of a msgpack or JSON encoder.
 */
export function ownerClaimBytes (claim: Omit<OwnerClaim, 'signature'>): Uint8Array {
  return canonical([OWNER_DOMAIN, claim.cid, claim.owner, integer(claim.issuedAt)])
}

export function tombstoneBytes (tombstone: Omit<Tombstone, 'signature'>): Uint8Array {
  return canonical([DELETE_DOMAIN, tombstone.cid, tombstone.owner, integer(tombstone.issuedAt), integer(tombstone.graceMs)])
}

export function canonical (fields: string[]): Uint8Array {
  for (const f of fields) if (/[\n\r]/.test(f)) throw new TypeError('a signed field cannot hold a line break')
  return new TextEncoder().encode(fields.join('\n') + '\n')
}

export function integer (n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`expected a non-negative integer, got ${n}`)
  return String(n)
}

export async function signOwnerClaim (key: PrivateKey, owner: string, cid: string, issuedAt: number): Promise<OwnerClaim> {
  const fields = { cid, owner, issuedAt }
  return { ...fields, signature: await key.sign(ownerClaimBytes(fields)) }
}

export async function signTombstone (key: PrivateKey, owner: string, cid: string, issuedAt: number, graceMs: number): Promise<Tombstone> {
  const fields = { cid, owner, issuedAt, graceMs }
  return { ...fields, signature: await key.sign(tombstoneBytes(fields)) }
}

/** Whether `owner`'s key signed these fields. False for anything malformed: a peer id that is not Ed25519 (only those
 *  carry their key), a bad signature, fields that cannot be encoded. */
export async function verifySigned (owner: string, signed: () => Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    const key = peerIdFromString(owner).publicKey
    if (key === undefined || key.type !== 'Ed25519' || signature.byteLength !== SIGNATURE_BYTES) return false
    return await key.verify(signed(), signature)
  } catch {
    return false
  }
}

export async function verifyOwnerClaim (claim: OwnerClaim): Promise<boolean> {
  return await verifySigned(claim.owner, () => ownerClaimBytes(claim), claim.signature)
}

export async function verifyTombstone (tombstone: Tombstone): Promise<boolean> {
  return await verifySigned(tombstone.owner, () => tombstoneBytes(tombstone), tombstone.signature) && tombstone.graceMs <= MAX_DELETE_GRACE_MS
}

// ---- the rules (pure) ---------------------------------------------------------------------------------------------

export function emptyRecord (): OwnershipRecord {
  return { owners: [], tombstones: [] }
}

/** The record with `claims` added: one claim per owner, the newest. A new claim after a tombstone revives the owner
 *  (a share of the same bytes after its rm), and the file is no longer deleted. */
export function withClaims (record: OwnershipRecord | undefined, claims: OwnerClaim[]): OwnershipRecord {
  const next = newestPerOwner([...(record?.owners ?? []), ...claims])
  return settle({ ...(record ?? emptyRecord()), owners: next.slice(0, MAX_OWNERS) })
}

/** The record with `tombstone` added, if it comes from an owner this record knows (anyone can sign a tombstone: only
 *  an owner's counts). `now`: when this node learned of it, for the purge time. */
export function withTombstone (record: OwnershipRecord, tombstone: Tombstone, now: number): OwnershipRecord {
  if (!record.owners.some(c => c.owner === tombstone.owner)) return record
  const tombstones = newestPerOwner([...record.tombstones, tombstone])
  const next = settle({ ...record, tombstones })
  // The grace runs from when this node learned of the delete: holders' clocks need not agree with the owner's.
  if (isDeleted(next) && next.purgeAt === undefined) next.purgeAt = now + tombstone.graceMs
  return next
}

/** Owners whose newest claim is newer than their newest tombstone. */
export function liveOwners (record: OwnershipRecord): string[] {
  return record.owners.filter(c => !record.tombstones.some(t => t.owner === c.owner && t.issuedAt >= c.issuedAt)).map(c => c.owner)
}

/** Deleted: some owner deleted it and no owner is left. A file nobody claimed (stored before owner claims existed)
 *  is never deleted. */
export function isDeleted (record: OwnershipRecord | undefined): boolean {
  return record !== undefined && record.tombstones.length > 0 && record.owners.length > 0 && liveOwners(record).length === 0
}

/** Whether `claims` add nothing live to a deleted record: a put carrying them (a repair by a holder that has not heard
 *  of the delete) must not bring the file back. */
export function staysDeleted (record: OwnershipRecord | undefined, claims: OwnerClaim[]): boolean {
  return isDeleted(record) && isDeleted(withClaims(record, claims))
}

/** A record that is no longer deleted forgets its purge schedule. */
function settle (record: OwnershipRecord): OwnershipRecord {
  if (isDeleted(record)) return record
  const { purgeAt: _purgeAt, purgedAt: _purgedAt, ...rest } = record
  return rest
}

function newestPerOwner<T extends { owner: string, issuedAt: number }> (items: T[]): T[] {
  const newest = new Map<string, T>()
  for (const item of items) {
    const seen = newest.get(item.owner)
    if (seen === undefined || item.issuedAt > seen.issuedAt) newest.set(item.owner, item)
  }
  return [...newest.values()].sort((a, b) => a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0)
}

// ---- checked forms: wire (msgpack maps, signature as bytes) and disk (JSON, signature as base64) ------------------

const MAX_ID_LENGTH = 128

/** A claim or tombstone as it arrives (a msgpack map, or a JSON one with its signature decoded): every field checked
 *  for type and bounds. Its signature is not checked here (verifyOwnerClaim, verifyTombstone). */
export function parseOwnerClaim (value: unknown): OwnerClaim {
  const m = mapOf(value, 'owner claim')
  return { cid: str(m, 'cid', MAX_ID_LENGTH), owner: str(m, 'owner', MAX_ID_LENGTH), issuedAt: int(m, 'issuedAt', 0, Number.MAX_SAFE_INTEGER), signature: bytes(m, 'signature', SIGNATURE_BYTES) }
}

export function parseTombstone (value: unknown): Tombstone {
  const m = mapOf(value, 'tombstone')
  return {
    cid: str(m, 'cid', MAX_ID_LENGTH),
    owner: str(m, 'owner', MAX_ID_LENGTH),
    issuedAt: int(m, 'issuedAt', 0, Number.MAX_SAFE_INTEGER),
    graceMs: int(m, 'graceMs', 0, MAX_DELETE_GRACE_MS),
    signature: bytes(m, 'signature', SIGNATURE_BYTES)
  }
}

/** On disk: JSON with base64 signatures (docs/STORAGE.md, "Ownership records"). */
export function recordToJson (record: OwnershipRecord): string {
  const b64 = <T extends { signature: Uint8Array }>(x: T): Omit<T, 'signature'> & { signature: string } => ({ ...x, signature: Buffer.from(x.signature).toString('base64') })
  return JSON.stringify({ version: 1, ...record, owners: record.owners.map(b64), tombstones: record.tombstones.map(b64) }, null, 2) + '\n'
}

/** The record of `cid` from its JSON text: anything malformed, for another CID, or over the bounds throws. */
export function recordFromJson (cid: string, text: string): OwnershipRecord {
  const m = mapOf(JSON.parse(text), 'ownership record')
  if (m.version !== 1) throw new ProtocolError('ownership record: unknown version')
  const fromB64 = (v: unknown): unknown => {
    const x = mapOf(v, 'entry')
    if (typeof x.signature !== 'string' || x.signature.length > 2 * SIGNATURE_BYTES) throw new ProtocolError('entry: bad signature')
    return { ...x, signature: new Uint8Array(Buffer.from(x.signature, 'base64')) }
  }
  const owners = list(m, 'owners', MAX_OWNERS, v => parseOwnerClaim(fromB64(v)))
  const tombstones = list(m, 'tombstones', MAX_OWNERS, v => parseTombstone(fromB64(v)))
  if ([...owners, ...tombstones].some(x => x.cid !== cid)) throw new ProtocolError(`ownership record of ${cid} holds another CID`)
  const purgeAt = optInt(m, 'purgeAt', 0, Number.MAX_SAFE_INTEGER)
  const purgedAt = optInt(m, 'purgedAt', 0, Number.MAX_SAFE_INTEGER)
  return { owners, tombstones, ...(purgeAt !== undefined ? { purgeAt } : {}), ...(purgedAt !== undefined ? { purgedAt } : {}) }
}

export { MAX_DELETE_GRACE_MS }
