// The wire messages of every edgemirror protocol: how each is built and how an untrusted one is checked.
// Layout of each exchange: docs/PROTOCOLS.md.
import { MAX_BLOCK_SIZE, MAX_MANIFEST_BYTES, MAX_TOTAL_SHARDS } from '../../coder/constants.ts'
import { EdgemirrorError } from '../../coder/errors.ts'
import { MAX_EXCHANGED_ADDRESSES, MAX_EXCHANGED_PEERS, MAX_HAS_CIDS } from '../constants.ts'
import { ProtocolError } from '../errors.ts'
import { MAX_OWNERS, parseOwnerClaim, parseTombstone, type OwnerClaim, type Tombstone } from '../ownership.ts'
import type { VivaldiCoordinate } from '../placement/vivaldi.ts'
import { bool, bytes, decodeMessage, encodeMessage, int, list, num, optInt, optStr, record, str } from './schema.ts'

const MAX_CID_LENGTH = 128
const MAX_LABEL = 64
/** 2^53: any file size JavaScript can count exactly. */
const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER

// ---- responses shared by all protocols --------------------------------------------------------------------------

export function okMessage (fields: Record<string, unknown> = {}): Uint8Array {
  return encodeMessage({ ok: true, ...fields })
}

export function errorMessage (err: unknown): Uint8Array {
  const code = err instanceof EdgemirrorError ? err.code : 'ERR_REMOTE'
  const message = err instanceof Error ? err.message : String(err)
  return encodeMessage({ ok: false, code, message: message.slice(0, 500) })
}

/** Decode a response; a remote error becomes an EdgemirrorError with the remote's code. */
export function parseResponse (frame: Uint8Array): Record<string, unknown> {
  const m = decodeMessage(frame)
  if (bool(m, 'ok')) return m
  const code = str(m, 'code', 64)
  throw new EdgemirrorError(/^ERR_[A-Z0-9_]{1,60}$/.test(code) ? code : 'ERR_REMOTE', `peer says: ${str(m, 'message', 500)}`, { remote: true })
}

// ---- put ---------------------------------------------------------------------------------------------------------

export interface PutRequest { upload: string, index: number, k: number, m: number, blockSize: number, fileSize: number }

export function parsePutRequest (frame: Uint8Array): PutRequest {
  const m = decodeMessage(frame)
  return {
    upload: str(m, 'upload', 64),
    index: int(m, 'index', 0, MAX_TOTAL_SHARDS - 1),
    k: int(m, 'k', 1, MAX_TOTAL_SHARDS),
    m: int(m, 'm', 0, MAX_TOTAL_SHARDS),
    blockSize: int(m, 'blockSize', 8, MAX_BLOCK_SIZE),
    fileSize: int(m, 'fileSize', 0, MAX_FILE_SIZE)
  }
}

export interface PutTrailer { manifest: Uint8Array, owners: OwnerClaim[] }

/** The manifest, and (put 3.0.0) the file's signed owner claims; 2.0.0 and 1.0.0 trailers have none. */
export function parsePutTrailer (frame: Uint8Array): PutTrailer {
  const m = decodeMessage(frame)
  return { manifest: bytes(m, 'manifest', MAX_MANIFEST_BYTES), owners: m.owners === undefined ? [] : list(m, 'owners', MAX_OWNERS, parseOwnerClaim) }
}

/** put 2.0.0: the sharer's last word, sent only once every holder is prepared. */
export function parsePutCommit (frame: Uint8Array): void {
  if (decodeMessage(frame).commit !== true) throw new ProtocolError('expected the commit message {commit: true}')
}

// ---- get ---------------------------------------------------------------------------------------------------------

export interface GetRequest { cid: string, index: number, from: number, to?: number }

export function parseGetRequest (frame: Uint8Array): GetRequest {
  const m = decodeMessage(frame)
  return {
    cid: str(m, 'cid', MAX_CID_LENGTH),
    index: int(m, 'index', 0, MAX_TOTAL_SHARDS - 1),
    from: int(m, 'from', 0, MAX_FILE_SIZE),
    to: optInt(m, 'to', 0, MAX_FILE_SIZE)
  }
}

export function parseGetResponse (frame: Uint8Array): { from: number, to: number } {
  const m = parseResponse(frame)
  return { from: int(m, 'from', 0, MAX_FILE_SIZE), to: int(m, 'to', 0, MAX_FILE_SIZE) }
}

// ---- has ---------------------------------------------------------------------------------------------------------

export interface Holding {
  cid: string
  manifest: boolean
  shards: number[]
  /** has 2.0.0: the tombstones the peer keeps for the file (signatures unchecked: the receiver verifies them). */
  tombstones: Tombstone[]
}

export function parseHasRequest (frame: Uint8Array): string[] {
  return list(decodeMessage(frame), 'cids', MAX_HAS_CIDS, (v) => {
    if (typeof v !== 'string' || v.length > MAX_CID_LENGTH) throw new ProtocolError('cids: expected CID strings')
    return v
  })
}

export function parseHasResponse (frame: Uint8Array): Holding[] {
  return list(parseResponse(frame), 'files', MAX_HAS_CIDS, (v) => {
    const m = record(v, 'files[]')
    return {
      cid: str(m, 'cid', MAX_CID_LENGTH),
      manifest: bool(m, 'manifest'),
      shards: list(m, 'shards', MAX_TOTAL_SHARDS, (i) => {
        if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= MAX_TOTAL_SHARDS) throw new ProtocolError('shards: expected indexes')
        return i
      }),
      tombstones: m.tombstones === undefined ? [] : list(m, 'tombstones', MAX_OWNERS, parseTombstone)
    }
  })
}

// ---- delete ------------------------------------------------------------------------------------------------------

/** What a holder did with a delete: `deleted` when no owner of the file is left (its bytes go at `purgeAt`), else
 *  only the asking owner's claim was withdrawn. `cacheOnly`: the peer held nothing but a copy of the manifest it had
 *  fetched to read the file, and dropped it; it knows no owners, so its answer says nothing about ownership. */
export interface DeleteAnswer { deleted: boolean, purgeAt: number | null, cacheOnly: boolean }

export function parseDeleteRequest (frame: Uint8Array): Tombstone {
  return parseTombstone(decodeMessage(frame).tombstone)
}

export function parseDeleteResponse (frame: Uint8Array): DeleteAnswer {
  const m = parseResponse(frame)
  return { deleted: bool(m, 'deleted'), purgeAt: m.purgeAt === null ? null : int(m, 'purgeAt', 0, Number.MAX_SAFE_INTEGER), cacheOnly: bool(m, 'cacheOnly') }
}

// ---- claim ---------------------------------------------------------------------------------------------------------

/** What a holder did with an owner claim: `recorded` when it holds the file (a shard or the manifest) and kept the
 *  claim; false when it holds nothing of it (a claim is only worth keeping beside the bytes it is about). */
export interface ClaimAnswer { recorded: boolean }

export function parseClaimRequest (frame: Uint8Array): OwnerClaim {
  return parseOwnerClaim(decodeMessage(frame).claim)
}

export function parseClaimResponse (frame: Uint8Array): ClaimAnswer {
  return { recorded: bool(parseResponse(frame), 'recorded') }
}

// ---- corrupt-block -----------------------------------------------------------------------------------------------

/** A reader's report that block `stripe` of shard `index` of `cid`, as this holder served it, failed its hash. */
export interface CorruptBlockReport { cid: string, index: number, stripe: number }

/** What the holder found: `quarantined` when its own copy of the block really was bad (or the shard unreadable) and
 *  the shard is now out of service; false when the block matched its hash (the report was wrong). */
export interface CorruptBlockAnswer { quarantined: boolean }

export function parseCorruptBlockRequest (frame: Uint8Array): CorruptBlockReport {
  const m = decodeMessage(frame)
  return { cid: str(m, 'cid', MAX_CID_LENGTH), index: int(m, 'index', 0, MAX_TOTAL_SHARDS - 1), stripe: int(m, 'stripe', 0, MAX_FILE_SIZE) }
}

export function parseCorruptBlockResponse (frame: Uint8Array): CorruptBlockAnswer {
  return { quarantined: bool(parseResponse(frame), 'quarantined') }
}

// ---- manifest ----------------------------------------------------------------------------------------------------

export function parseManifestRequest (frame: Uint8Array): string {
  return str(decodeMessage(frame), 'cid', MAX_CID_LENGTH)
}

export function parseManifestResponse (frame: Uint8Array): Uint8Array {
  return bytes(parseResponse(frame), 'manifest', MAX_MANIFEST_BYTES)
}

// ---- info --------------------------------------------------------------------------------------------------------

export interface PeerInfoMessage {
  zone: string
  region: string
  carbon: number
  carbonSource: string
  /** Free bytes; null = no capacity limit. */
  freeBytes: number | null
  usedBytes: number
  /** The peer's Vivaldi network coordinate (node/placement/vivaldi.ts), when it has one: lets a node estimate the
   *  RTT to peers it cannot ping. */
  coordinate?: VivaldiCoordinate
}

/** Vivaldi coordinates have a handful of dimensions (8 by default); anything larger is not one. */
const MAX_COORDINATE_DIMENSIONS = 16
/** RTTs beyond a minute are no network we place data on; bound every coordinate component and the height by it. */
const MAX_COORDINATE_MS = 60_000

function coordinate (value: unknown): VivaldiCoordinate | undefined {
  if (value === undefined || value === null) return undefined
  const c = record(value, 'coordinate')
  return {
    vec: list(c, 'vec', MAX_COORDINATE_DIMENSIONS, (x) => {
      if (typeof x !== 'number' || !Number.isFinite(x) || Math.abs(x) > MAX_COORDINATE_MS) throw new ProtocolError('coordinate.vec: expected bounded numbers')
      return x
    }),
    heightMs: num(c, 'heightMs', 0, MAX_COORDINATE_MS),
    error: num(c, 'error', 0, 100)
  }
}

export function parseInfoResponse (frame: Uint8Array): PeerInfoMessage {
  const m = parseResponse(frame)
  const free = m.freeBytes === null ? null : num(m, 'freeBytes', 0, MAX_FILE_SIZE)
  return {
    zone: str(m, 'zone', MAX_LABEL),
    region: str(m, 'region', MAX_LABEL),
    carbon: num(m, 'carbon', 0, 10_000),
    carbonSource: optStr(m, 'carbonSource', 200) ?? 'unknown',
    freeBytes: free,
    usedBytes: num(m, 'usedBytes', 0, MAX_FILE_SIZE),
    coordinate: coordinate(m.coordinate)
  }
}


// ---- peers (peer exchange) ---------------------------------------------------------------------------------------

export interface KnownPeer { peerId: string, addresses: string[] }

/** A peer id in its string form (base58btc, 46..60 characters) and multiaddr strings: bounded before use. */
const MAX_PEER_ID = 128
const MAX_ADDRESS = 256

export function parsePeersResponse (frame: Uint8Array): KnownPeer[] {
  return list(parseResponse(frame), 'peers', MAX_EXCHANGED_PEERS, (value) => {
    const p = record(value, 'peer')
    return {
      peerId: str(p, 'peerId', MAX_PEER_ID),
      addresses: list(p, 'addresses', MAX_EXCHANGED_ADDRESSES, (a) => {
        if (typeof a !== 'string' || a.length > MAX_ADDRESS) throw new ProtocolError('peer address must be a short string')
        return a
      })
    }
  })
}

