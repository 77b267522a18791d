// The manifest: everything needed to check and rebuild a file, content-addressed by a CIDv1 of its encoded bytes,
// so fetching a manifest by id proves it is the one that was shared. Version 2 holds only what defines the bytes and
// their coding, so sharing the same bytes the same way twice gives the same CID (dedup). Version 3 is version 2 plus an
// `encryption` field, written for encrypted files only (share --encrypt, docs/ENCRYPTION.md). Format and versioning:
// docs/MANIFEST.md.
import { Packr } from 'msgpackr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import { HASH_LENGTH, MAX_MANIFEST_BYTES, MAX_NAME_BYTES } from './constants.ts'
import { HashMismatchError, InvalidCidError, ManifestInvalidError, ManifestVersionError } from './errors.ts'
import { assertGeometry, stripeCount, type Geometry } from './layout.ts'

/** The version this code writes for a plain file. Version 1 (name and createdAt inside the CID) is still read:
 *  docs/MANIFEST.md. */
export const MANIFEST_VERSION = 2
/** The version of an encrypted file's manifest: a reader that predates it refuses it (ERR_MANIFEST_VERSION) rather
 *  than hand out ciphertext as the file, and plain files keep version 2 so their CIDs do not change. */
export const ENCRYPTED_MANIFEST_VERSION = 3
/** Every version decodeManifest reads. */
export const READABLE_MANIFEST_VERSIONS: readonly number[] = [1, 2, 3]

/** The one cipher of version 3 (coder/file-cipher.ts). */
export const ENCRYPTION_ALG = 'aes-256-ctr'
/** Bytes of a key check (coder/capability.ts keyCheckOf): 128 bits, so a wrong key passes by chance with
 *  probability 2^-128. */
export const KEY_CHECK_LENGTH = 16

/** How an encrypted file's bytes were encrypted: the key itself is never in the manifest (it is in the capability). */
export interface ManifestEncryption {
  alg: typeof ENCRYPTION_ALG
  /** keyCheckOf(key): lets a reader tell a wrong key before it writes a byte. */
  keyCheck: Uint8Array
}

/** Room for a publisher signature over the manifest without it (version 1 reserved it; it never verified anything). */
export interface PublisherSignature {
  publicKey: Uint8Array
  signature: Uint8Array
}

/** What defines a file's bytes and their coding: the whole of a version 2 manifest, so the whole of its CID. */
export interface ManifestCore extends Geometry {
  /** Codec id, e.g. 'rs-wasm-1'; decoding uses exactly this codec. */
  codec: string
  /** SHA-256 of the whole file as stored: of the ciphertext for an encrypted file (version 3). */
  fileHash: Uint8Array
  /** Per shard (k + m entries): the SHA-256 of each of its blocks, packed (32 bytes per stripe). */
  shardHashes: Uint8Array[]
}

/** Version 2 (written since issue #15): the same bytes with the same coding always get the same CID. */
export interface ManifestV2 extends ManifestCore {
  version: 2
}

/** Version 1 (read only): the sharer's name and clock were part of the CID, so every share of a file had a new one. */
export interface ManifestV1 extends ManifestCore {
  version: 1
  /** Sanitized file name (no path separators), if the sharer gave one. */
  name?: string
  /** Milliseconds since the Unix epoch. */
  createdAt: number
  publisher?: PublisherSignature
}

/** Version 3: an encrypted file. The coding, hashes and size are the ciphertext's (the same length as the plaintext). */
export interface ManifestV3 extends ManifestCore {
  version: 3
  encryption: ManifestEncryption
}

export type Manifest = ManifestV1 | ManifestV2 | ManifestV3

/** A codec id: short, lowercase, digits and dashes ('rs-wasm-1'). */
export const CODEC_ID_PATTERN = /^[a-z0-9-]{1,32}$/

const CORE_FIELDS = ['version', 'codec', 'k', 'm', 'blockSize', 'fileSize', 'fileHash', 'shardHashes'] as const
const FIELDS: Record<number, ReadonlySet<string>> = {
  1: new Set([...CORE_FIELDS, 'name', 'createdAt', 'publisher']),
  2: new Set(CORE_FIELDS),
  3: new Set([...CORE_FIELDS, 'encryption'])
}

// Plain maps (no msgpackr records) so the bytes are standard MessagePack any implementation can read.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' })

/** Encode any version (version 1 only so that tests and tools can make one). */
export function encodeManifest (manifest: Manifest): Uint8Array {
  validateManifest(manifest)
  const { version, codec, k, m, blockSize, fileSize, fileHash, shardHashes } = manifest
  // Fixed key order makes the encoding, and so the CID, deterministic.
  const record: Record<string, unknown> = { version, codec, k, m, blockSize, fileSize, fileHash, shardHashes }
  if (manifest.version === 1) {
    const { name, createdAt, publisher } = manifest
    record.createdAt = createdAt
    if (name !== undefined) record.name = name
    if (publisher !== undefined) record.publisher = publisher
  }
  if (manifest.version === 3) record.encryption = { alg: manifest.encryption.alg, keyCheck: manifest.encryption.keyCheck }
  const bytes = packr.pack(record)
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new ManifestInvalidError(`encoded size ${bytes.byteLength} exceeds ${MAX_MANIFEST_BYTES}`)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Decode untrusted bytes of any readable version: bounded size, strict schema, every binary field copied out of the input. */
export function decodeManifest (bytes: Uint8Array): Manifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new ManifestInvalidError(`size ${bytes.byteLength} exceeds ${MAX_MANIFEST_BYTES}`)
  let value: unknown
  try {
    value = packr.unpack(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (err) {
    throw new ManifestInvalidError(`not MessagePack: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ManifestInvalidError('not a map')
  const record = value as Record<string, unknown>
  const version = record.version
  if (typeof version !== 'number') throw new ManifestInvalidError('missing version')
  if (!READABLE_MANIFEST_VERSIONS.includes(version)) throw new ManifestVersionError(version)
  for (const key of Object.keys(record)) {
    if (!FIELDS[version].has(key)) throw new ManifestInvalidError(`unknown field ${JSON.stringify(key.slice(0, 40))} in version ${version}`)
  }
  const shardHashes = record.shardHashes
  if (!Array.isArray(shardHashes)) throw new ManifestInvalidError('shardHashes is not a list')
  const core: ManifestCore = {
    codec: record.codec as string,
    k: record.k as number,
    m: record.m as number,
    blockSize: record.blockSize as number,
    fileSize: record.fileSize as number,
    fileHash: copyBytes(record.fileHash, 'fileHash'),
    shardHashes: shardHashes.map((h, i) => copyBytes(h, `shardHashes[${i}]`))
  }
  let manifest: Manifest
  if (version === 2) {
    manifest = { version: 2, ...core }
  } else if (version === 3) {
    manifest = { version: 3, ...core, encryption: readEncryption(record.encryption) }
  } else {
    const v1: ManifestV1 = { version: 1, ...core, createdAt: record.createdAt as number }
    if (record.name !== undefined) v1.name = record.name as string
    if (record.publisher !== undefined) {
      const p = record.publisher as Record<string, unknown>
      if (p === null || typeof p !== 'object') throw new ManifestInvalidError('publisher is not a map')
      v1.publisher = { publicKey: copyBytes(p.publicKey, 'publisher.publicKey'), signature: copyBytes(p.signature, 'publisher.signature') }
    }
    manifest = v1
  }
  validateManifest(manifest)
  return manifest
}

/** Whether the file's bytes are ciphertext (version 3): then only a capability reads it. */
export function isEncrypted (manifest: Manifest): manifest is ManifestV3 {
  return manifest.version === 3
}

/** The name a version 1 manifest carries, if any (version 2 carries none: names live in the sharer's share record). */
export function manifestName (manifest: Manifest): string | undefined {
  return manifest.version === 1 ? manifest.name : undefined
}

export function validateManifest (manifest: Manifest): void {
  const { codec, fileHash, shardHashes } = manifest
  if (!READABLE_MANIFEST_VERSIONS.includes(manifest.version)) throw new ManifestVersionError(manifest.version)
  if (typeof codec !== 'string' || !CODEC_ID_PATTERN.test(codec)) throw new ManifestInvalidError('codec must be a short id')
  try {
    assertGeometry(manifest)
  } catch (err) {
    throw new ManifestInvalidError((err as Error).message)
  }
  if (!(fileHash instanceof Uint8Array) || fileHash.byteLength !== HASH_LENGTH) throw new ManifestInvalidError('fileHash must be 32 bytes')
  const n = manifest.k + manifest.m
  if (!Array.isArray(shardHashes) || shardHashes.length !== n) throw new ManifestInvalidError(`shardHashes must have ${n} entries`)
  const expected = stripeCount(manifest) * HASH_LENGTH
  for (const h of shardHashes) {
    if (!(h instanceof Uint8Array) || h.byteLength !== expected) throw new ManifestInvalidError(`each shardHashes entry must be ${expected} bytes`)
  }
  if (manifest.version === 1) {
    const { name, createdAt } = manifest
    if (name !== undefined && (typeof name !== 'string' || name !== sanitizeFileName(name) || name === '')) {
      throw new ManifestInvalidError('name must be a sanitized file name')
    }
    if (!Number.isSafeInteger(createdAt) || createdAt < 0) throw new ManifestInvalidError('createdAt must be a timestamp in ms')
  }
  if (manifest.version === 3) {
    const { alg, keyCheck } = manifest.encryption ?? {}
    if (alg !== ENCRYPTION_ALG) throw new ManifestInvalidError(`encryption.alg must be ${ENCRYPTION_ALG}`)
    if (!(keyCheck instanceof Uint8Array) || keyCheck.byteLength !== KEY_CHECK_LENGTH) throw new ManifestInvalidError(`encryption.keyCheck must be ${KEY_CHECK_LENGTH} bytes`)
  }
}

/** The manifest's id: CIDv1, raw codec, sha2-256 of the encoded bytes (base32 string form: "bafkrei..."). */
export async function manifestCid (bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256Hasher.digest(bytes))
}

/** Parse a CID string as given by a user or peer. */
export function parseCid (text: string): CID {
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch {
    throw new InvalidCidError(text, 'not a CID')
  }
  if (cid.version !== 1 || cid.code !== raw.code || cid.multihash.code !== sha256Hasher.code) {
    throw new InvalidCidError(text, 'not an edgemirror manifest CID (want CIDv1, raw, sha2-256)')
  }
  return cid
}

/** Decode manifest bytes fetched by `cid`, refusing them unless they hash to that CID. */
export async function decodeManifestFor (cid: string, bytes: Uint8Array): Promise<Manifest> {
  const actual = (await manifestCid(bytes)).toString()
  if (actual !== cid) throw new HashMismatchError(`manifest bytes hash to ${actual}, not ${cid}`, { cid, actual })
  return decodeManifest(bytes)
}

/**
 * A file name safe to record and to write: the last path component only, no control characters, not "." or "..",
 * at most MAX_NAME_BYTES bytes of UTF-8. Returns '' when nothing usable is left.
 */
export function sanitizeFileName (input: string): string {
  const last = input.split(/[/\\]/).pop() ?? ''
  // Lone surrogates go too: they have no UTF-8 form (msgpackr would write invalid UTF-8 that decodes as U+FFFD, so
  // the sharer's name and every peer's would differ).
  // eslint-disable-next-line no-control-regex
  let name = last.replace(/[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '').trim()
  // Cut whole code points: cutting a surrogate pair in half would leave a lone surrogate.
  while (Buffer.byteLength(name) > MAX_NAME_BYTES) name = name.slice(0, /[\uDC00-\uDFFF]$/.test(name) ? -2 : -1)
  // Trim again after the cut: sanitizing must be idempotent, validateManifest() relies on it.
  name = name.trimEnd()
  if (name === '.' || name === '..') name = ''
  return name
}

/** The `encryption` map of a version 3 manifest: exactly alg and keyCheck (validateManifest checks their values). */
function readEncryption (value: unknown): ManifestEncryption {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ManifestInvalidError('encryption is not a map')
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length !== 2 || !keys.includes('alg') || !keys.includes('keyCheck')) throw new ManifestInvalidError('encryption must hold exactly alg and keyCheck')
  return { alg: record.alg as typeof ENCRYPTION_ALG, keyCheck: copyBytes(record.keyCheck, 'encryption.keyCheck') }
}

function copyBytes (value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ManifestInvalidError(`${field} must be bytes`)
  return new Uint8Array(value) // copy: msgpackr returns views into the input buffer
}
