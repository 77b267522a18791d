// A version record: "version SEQ of my mirror set NAME is the tree whose directory manifest is ROOT", signed with the
// publisher's libp2p identity key (Ed25519), so any node checks it with nothing but the publisher's peer id, which
// is half of the set's address. Records are small and self-certifying: they travel by push and pull between peers
// (node/mirror/record-exchange.ts) and every node keeps the newest per address (record-book.ts). docs/MIRRORS.md,
// "Version records".
import type { PrivateKey } from '@libp2p/interface'
import { parseCid } from '../../coder/manifest.ts'
import { ProtocolError } from '../errors.ts'
import { canonical, integer, SIGNATURE_BYTES, verifySigned } from '../ownership.ts'
import { bytes, int, optStr, record as mapOf, str } from '../wire/schema.ts'
import { addressOf, MIRROR_NAME_PATTERN } from './address.ts'
import type { VersionRecordView } from './types.ts'

export interface VersionRecord {
  publisher: string
  name: string
  /** 1 for the first version; each publish adds one. */
  seq: number
  /** CID of the version's directory manifest (root page). */
  root: string
  /** Root of version seq-1, or null for the first: a reader can walk back even without the older records. */
  prev: string | null
  /** The publisher's clock, Unix ms: shown, never compared (seq orders versions). */
  publishedAt: number
  /** Files and bytes in the version: shown before the tree is fetched. */
  files: number
  bytes: number
  signature: Uint8Array
}

/** Domain line: a record's signature can never pass for an owner claim, a tombstone or anything else the key signs. */
const VERSION_DOMAIN = 'edgemirror/mirror-version/1'
const MAX_ID_LENGTH = 128
/** The most files a version may list (coder/directory-manifest.ts bounds the tree the same way). */
const MAX_VERSION_FILES = 10_000_000

export function versionRecordBytes (r: Omit<VersionRecord, 'signature'>): Uint8Array {
  return canonical([VERSION_DOMAIN, r.publisher, r.name, integer(r.seq), r.root, r.prev ?? '-', integer(r.publishedAt), integer(r.files), integer(r.bytes)])
}

export async function signVersionRecord (key: PrivateKey, fields: Omit<VersionRecord, 'signature'>): Promise<VersionRecord> {
  return { ...fields, signature: await key.sign(versionRecordBytes(fields)) }
}

/** Whether the publisher's key signed this record. False for anything malformed. */
export async function verifyVersionRecord (r: VersionRecord): Promise<boolean> {
  return await verifySigned(r.publisher, () => versionRecordBytes(r), r.signature)
}

export function recordAddress (r: Pick<VersionRecord, 'publisher' | 'name'>): string {
  return addressOf(r.publisher, r.name)
}

/** A record as it arrives (a msgpack map; or JSON with a base64 signature, decoded by the caller): every field checked
 *  for type and bounds, CIDs and the name for their form. Its signature is not checked here (verifyVersionRecord). */
export function parseVersionRecord (value: unknown): VersionRecord {
  const m = mapOf(value, 'version record')
  const name = str(m, 'name', 64)
  if (!MIRROR_NAME_PATTERN.test(name)) throw new ProtocolError('version record: malformed name')
  const root = cidField(str(m, 'root', MAX_ID_LENGTH))
  const prevText = optStr(m, 'prev', MAX_ID_LENGTH)
  return {
    publisher: str(m, 'publisher', MAX_ID_LENGTH),
    name,
    seq: int(m, 'seq', 1, Number.MAX_SAFE_INTEGER),
    root,
    prev: prevText === undefined ? null : cidField(prevText),
    publishedAt: int(m, 'publishedAt', 0, Number.MAX_SAFE_INTEGER),
    files: int(m, 'files', 0, MAX_VERSION_FILES),
    bytes: int(m, 'bytes', 0, Number.MAX_SAFE_INTEGER),
    signature: bytes(m, 'signature', SIGNATURE_BYTES)
  }
}

function cidField (text: string): string {
  try {
    const cid = parseCid(text).toString()
    if (cid !== text) throw new Error('not in canonical form')
    return cid
  } catch (err) {
    throw new ProtocolError(`version record: bad CID ${JSON.stringify(text.slice(0, 80))}: ${(err as Error).message}`)
  }
}

/** The wire form: a plain map (prev omitted when null). */
export function versionRecordMessage (r: VersionRecord): Record<string, unknown> {
  const { prev, ...rest } = r
  return prev === null ? rest : { ...rest, prev }
}

export function versionRecordView (r: VersionRecord): VersionRecordView {
  return { address: recordAddress(r), publisher: r.publisher, name: r.name, seq: r.seq, root: r.root, prev: r.prev, publishedAt: r.publishedAt, files: r.files, bytes: r.bytes, signature: Buffer.from(r.signature).toString('base64') }
}

/** The record from its JSON view (disk): anything malformed throws. */
export function versionRecordFromView (value: unknown): VersionRecord {
  const m = mapOf(value, 'version record')
  if (typeof m.signature !== 'string' || m.signature.length > 2 * SIGNATURE_BYTES) throw new ProtocolError('version record: bad signature')
  const { address: _address, ...fields } = m
  return parseVersionRecord({ ...fields, prev: m.prev ?? undefined, signature: new Uint8Array(Buffer.from(m.signature, 'base64')) })
}
