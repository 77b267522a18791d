// The shard store: byte storage for manifests and shards on one peer. It does not verify content (shards are
// checked block by block against their manifest before commit and again when served, by the callers); it
// guarantees that what it serves is exactly what was committed, and that a crash never exposes a torn shard.
// Layout and crash-safety protocol: docs/STORAGE.md. Every implementation runs test/node/store/compliance.ts.
import { MAX_MANIFEST_BYTES, MAX_TOTAL_SHARDS } from '../../coder/constants.ts'
import { InvalidParametersError } from '../../coder/errors.ts'
import type { OwnershipRecord } from '../ownership.ts'
import { InvalidIdError, InvalidRangeError } from './errors.ts'

export interface ShardRef { cid: string, index: number, size: number }

export interface StoreStats {
  shards: number
  manifests: number
  /** Committed bytes: shards plus manifests (quarantined files are not counted). */
  bytes: number
  /** Bytes held by open writers and manifest writes in progress. */
  reservedBytes: number
  capacity: number | null
  /** capacity - bytes - reservedBytes (never below 0); Infinity when no capacity is set. */
  freeBytes: number
}

export interface ShardWriter {
  /** Append bytes. Resolves when the data may be dropped by the caller (backpressure: awaits the disk). Writing more than expectedSize → EdgemirrorError ERR_SIZE_MISMATCH and the writer is aborted. */
  write (chunk: Uint8Array): Promise<void>
  /** First phase of a two-phase commit: wait for every write, check the size (ERR_SIZE_MISMATCH) and fsync the data,
   *  so that a disk that runs out of room says so now (ENOSPC can surface at fsync) and commit() only renames. The
   *  reservation stays until commit or abort. Optional before commit(). */
  prepare (): Promise<void>
  /** Durably publish as (cid, index): file fsync → rename into place → fsync the directory. Size must equal bytes written (ERR_SIZE_MISMATCH). Replaces an existing copy atomically. Releases the reservation. */
  commit (cid: string, index: number): Promise<void>
  /** Discard everything written; releases the reservation. Idempotent; safe after commit (no-op). */
  abort (): Promise<void>
}

/** A manifest written durably to a temp file but not yet visible (phase one of a share's commit). */
export interface StagedManifest {
  /** Publish it, as putManifest would (replaces an existing copy). Releases the reservation into used bytes. */
  commit (): Promise<void>
  /** Drop it and release its reservation. Idempotent; a no-op after commit. */
  abort (): Promise<void>
}

export interface ReadShardOptions {
  offset?: number
  length?: number
  /** default 1 MiB (DEFAULT_READ_CHUNK_SIZE) */
  chunkSize?: number
  signal?: AbortSignal
}

export interface ShardStore {
  /** Create the layout, remove torn tmp files left by a crash, count used bytes. */
  start (): Promise<void>
  /** Abort open writers. */
  stop (): Promise<void>
  /** Crash-safe write; idempotent (replaces an existing copy atomically). */
  putManifest (cid: string, bytes: Uint8Array): Promise<void>
  /** Reserve room for a manifest (ERR_STORE_FULL when it does not fit, counting open reservations) and write it to a
   *  temp file with fsync, without publishing it: so a share can learn that a holder cannot keep the file before any
   *  holder commits. Open stages are dropped by stop(). */
  stageManifest (cid: string, bytes: Uint8Array): Promise<StagedManifest>
  getManifest (cid: string): Promise<Uint8Array | undefined>
  hasManifest (cid: string): Promise<boolean>
  listManifests (): Promise<string[]>
  deleteManifest (cid: string): Promise<void>
  /** Reserve expectedSize bytes of capacity (ERR_STORE_FULL if it does not fit, counting other open reservations) and open a temp file. */
  createShardWriter (expectedSize: number): Promise<ShardWriter>
  /** Stream a shard (or a byte range of it) in chunks of at most chunkSize. Missing → NotFoundError. Range outside the shard → ERR_INVALID_RANGE. */
  readShard (cid: string, index: number, options?: ReadShardOptions): AsyncIterable<Uint8Array>
  shardSize (cid: string, index: number): Promise<number | undefined>
  /** Sorted by cid then index. */
  listShards (cid?: string): Promise<ShardRef[]>
  /** Missing → no error. */
  deleteShard (cid: string, index: number): Promise<void>
  /** Move a bad shard out of the served set (kept for inspection under quarantine/), so it is never served again. */
  quarantineShard (cid: string, index: number, reason: string): Promise<void>
  stats (): Promise<StoreStats>
  /** Who owns `cid` and who deleted it (owner claims, tombstones, purge schedule: node/ownership.ts); undefined when
   *  this node has no record. Kept apart from the bytes: a purged file's record stays, so its tombstones do. */
  getOwnership (cid: string): Promise<OwnershipRecord | undefined>
  /** Replace the record of `cid` with `update(current)`, serialized per CID and crash-safe (a torn record is never
   *  read back); `undefined` removes it. Resolves with the record now stored. */
  updateOwnership (cid: string, update: (current: OwnershipRecord | undefined) => OwnershipRecord | undefined): Promise<OwnershipRecord | undefined>
  /** The CIDs that have a record, sorted. */
  listOwnership (): Promise<string[]>
}

/** Default read chunk: 1 MiB, the coder's default block size (coder/constants.ts DEFAULT_BLOCK_SIZE), so one
 *  chunk is one block on the wire. */
export const DEFAULT_READ_CHUNK_SIZE = 1024 * 1024

/** Shard indexes are 0..255: Reed-Solomon over GF(2^8) allows at most 256 shards (coder/constants.ts). */
export const MAX_SHARD_INDEX = MAX_TOTAL_SHARDS - 1

/** Base32 lowercase CIDv1 ('b' multibase prefix). A manifest CID (CIDv1, raw, sha2-256) is 59 characters; the
 *  bounds leave room for other hashes while keeping every file name far below NAME_MAX (255). The alphabet has no
 *  '.', '/' or '\\', so a valid CID is always a single, harmless path component. */
export const CID_PATTERN = /^b[a-z2-7]{20,120}$/

/** Throws InvalidIdError (ERR_INVALID_ID) unless `cid` is a base32 lowercase CIDv1 string. Call before any path is built. */
export function assertValidCid (cid: unknown): asserts cid is string {
  if (typeof cid !== 'string' || !CID_PATTERN.test(cid)) throw new InvalidIdError('cid', cid)
}

/** Throws InvalidIdError (ERR_INVALID_ID) unless `index` is an integer in 0..255. */
export function assertValidIndex (index: unknown): asserts index is number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_SHARD_INDEX) throw new InvalidIdError('index', index)
}

/** What putManifest and stageManifest take: a valid CID (ERR_INVALID_ID) and manifest bytes within MAX_MANIFEST_BYTES. */
export function assertValidManifest (cid: unknown, bytes: unknown): asserts bytes is Uint8Array {
  assertValidCid(cid)
  if (!(bytes instanceof Uint8Array)) throw new InvalidParametersError('manifest bytes must be a Uint8Array')
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new InvalidParametersError(`manifest of ${bytes.byteLength} bytes exceeds ${MAX_MANIFEST_BYTES}`, { size: bytes.byteLength })
  }
}

/** Throws InvalidParametersError unless `size` is a byte count (a non-negative safe integer). */
export function assertValidSize (size: unknown, what = 'expectedSize'): asserts size is number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidParametersError(`${what} must be a non-negative integer, got ${String(size)}`, { [what]: size })
  }
}

export interface ReadRange { offset: number, length: number, chunkSize: number }

/** Resolve and check read options against a shard of `size` bytes (shared by every implementation). */
export function resolveReadRange (size: number, options: ReadShardOptions = {}): ReadRange {
  const { offset = 0, chunkSize = DEFAULT_READ_CHUNK_SIZE } = options
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidParametersError(`chunkSize must be a positive integer, got ${String(chunkSize)}`, { chunkSize })
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new InvalidRangeError(`offset ${String(offset)} is outside the shard (size ${size})`, { offset, size })
  }
  const length = options.length ?? size - offset
  if (!Number.isSafeInteger(length) || length < 0 || offset + length > size) {
    throw new InvalidRangeError(`range ${offset}+${String(length)} is outside the shard (size ${size})`, { offset, length, size })
  }
  return { offset, length, chunkSize }
}
