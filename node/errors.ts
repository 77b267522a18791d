// Errors raised by the daemon and its services. Every one has a stable `code` (see coder/errors.ts for the base).
import { EdgemirrorError } from '../coder/errors.ts'

export { EdgemirrorError }

export class NotFoundError extends EdgemirrorError {
  constructor (what: string, details: Record<string, unknown> = {}) {
    super('ERR_NOT_FOUND', `not found: ${what}`, details)
  }
}

/** What a user can do about too few peers when sharing (share has --allow-fewer-peers). */
export const SHARE_FEWER_PEERS_HINT = 'use --allow-fewer-peers to place several shards per peer'

/**
 * What would work for a share of RS(k, m) with only `peers` eligible peers: the geometry that uses them all one shard
 * each, keeping as much of the parity asked for as fits with no more parity than data (3 peers: --k 2 --m 1), or
 * --replicas for a replicated file; and --allow-fewer-peers.
 */
export function shareFewerPeersHint (peers: number, k: number, m: number): string {
  if (peers < 2) return `with ${peers} peer(s) no geometry survives a lost peer: ${SHARE_FEWER_PEERS_HINT}, or start more peers`
  const parity = Math.min(m, Math.floor(peers / 2))
  const fits = k === 1 ? `--replicas ${peers}` : `--k ${peers - parity} --m ${parity}`
  const survives = k === 1 ? peers - 1 : parity
  return `with ${peers} peers try ${fits} (survives ${survives} lost peer(s)), or --allow-fewer-peers to place several shards per peer`
}

export class NotEnoughPeersError extends EdgemirrorError {
  /** `hint`: what the caller's user can do about it; repair has no --allow-fewer-peers, so it passes its own. */
  constructor (available: number, needed: number, details: Record<string, unknown> = {}, hint = SHARE_FEWER_PEERS_HINT) {
    super('ERR_NOT_ENOUGH_PEERS', `not enough peers: ${available} available, ${needed} needed (${hint})`, { available, needed, ...details })
  }
}

export class StoreFullError extends EdgemirrorError {
  constructor (needed: number, free: number) {
    super('ERR_STORE_FULL', `store full: ${needed} bytes needed, ${free} free`, { needed, free })
  }
}

export class FrameTooLargeError extends EdgemirrorError {
  constructor (size: number, max: number) {
    super('ERR_FRAME_TOO_LARGE', `frame of ${size} bytes exceeds the limit of ${max}`, { size, max })
  }
}

export class ProtocolError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_PROTOCOL', message, details)
  }
}

export class TimeoutError extends EdgemirrorError {
  constructor (what: string, ms: number) {
    super('ERR_TIMEOUT', `${what} timed out after ${ms} ms`, { ms })
  }
}

export class UnauthorizedError extends EdgemirrorError {
  constructor () {
    super('ERR_UNAUTHORIZED', 'missing or wrong control API token')
  }
}

export class DaemonNotRunningError extends EdgemirrorError {
  constructor (repo: string, reason: string) {
    super('ERR_DAEMON_NOT_RUNNING', `no daemon answering for repo ${repo}: ${reason}`, { repo })
  }
}

export class UsageError extends EdgemirrorError {
  constructor (message: string) {
    super('ERR_USAGE', message)
  }
}

export class ConfigError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_CONFIG', message, details)
  }
}

export class CarbonDataError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_CARBON_DATA', message, details)
  }
}

/** Placement cannot meet its hard constraints (failure-domain caps, free space) with the peers it has. */
export class PlacementInfeasibleError extends EdgemirrorError {
  constructor (reason: string, details: Record<string, unknown> = {}) {
    super('ERR_PLACEMENT_INFEASIBLE', `placement infeasible: ${reason}`, details)
  }
}

/** An inbound stream would take this node past its budget of buffered bytes (node/wire/inbound-budget.ts): try
 *  later or elsewhere. */
export class BusyError extends EdgemirrorError {
  constructor (what: string, needed: number, available: number, scope: 'connection' | 'total') {
    super('ERR_BUSY', `busy: ${what} needs ${needed} bytes of buffer, ${Math.max(0, available)} left for this ${scope === 'connection' ? 'connection' : 'node'}`, { needed, available: Math.max(0, available), scope })
  }
}

/** A put declared a shard geometry this node can never accept (malformed, or a manifest that could not exist). */
export class InvalidGeometryError extends EdgemirrorError {
  constructor (reason: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_GEOMETRY', `invalid shard geometry: ${reason}`, details)
  }
}

/** A holder failed after the share started streaming to it (reset, stall, refusal at the end). The input cannot be
 *  replayed, so the share fails, names the peer, and leaves it out of the next placement (docs/PROTOCOLS.md). */
export class HolderFailedError extends EdgemirrorError {
  constructor (peer: string, index: number, cause: EdgemirrorError) {
    super('ERR_HOLDER_FAILED', `holder ${peer} of shard ${index} failed mid-share (${cause.code}: ${cause.message}); nothing was stored, a retry leaves this peer out`,
      { peer, index, cause: cause.code }, { cause })
  }
}

/** A peer asked more of this node than its per-peer rate allows (corrupt-block reports): asked again later, it is
 *  answered. */
export class RateLimitedError extends EdgemirrorError {
  constructor (what: string, details: Record<string, unknown> = {}) {
    super('ERR_RATE_LIMITED', `rate limited: ${what}`, details)
  }
}

/** A peer's puts would take it past this holder's quota of stored bytes per pushing peer (`daemon --quota-per-peer`,
 *  node/store/peer-quota.ts): the sharer places the shard on another peer. */
export class QuotaExceededError extends EdgemirrorError {
  constructor (peer: string, needed: number, used: number, quota: number) {
    super('ERR_QUOTA_EXCEEDED', `quota exceeded: ${peer} has ${used} bytes stored or in progress here, ${needed} more would pass its quota of ${quota}`, { peer, needed, used, quota })
  }
}

/** An HTTP request body (the control API's JSON) over its bound: 413. */
export class RequestTooLargeError extends EdgemirrorError {
  constructor (what: string, max: number) {
    super('ERR_REQUEST_TOO_LARGE', `${what} over ${max} bytes`, { max })
  }
}

/** A peer we were talking to went away: its connection or stream closed or reset, or it does not speak the protocol. */
export class PeerUnavailableError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_PEER_UNAVAILABLE', message, details)
  }
}

/** A local file operation failed (EISDIR, EPERM, EACCES, EROFS…): the errno and the path are in the message. */
export class FileAccessError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_FILE_ACCESS', message, details)
  }
}

/** The disk (not the configured capacity, which is ERR_STORE_FULL) ran out of space. */
export class DiskFullError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_DISK_FULL', message, details)
  }
}

/** libp2p's error names for a stream or connection that is gone, or a protocol the peer does not serve. */
const PEER_GONE_ERRORS = new Set([
  'StreamResetError', 'StreamStateError', 'StreamClosedError', 'StreamAbortedError', 'ConnectionClosedError', 'ConnectionClosingError',
  'UnsupportedProtocolError', 'DialError', 'NoValidAddressesError', 'MuxerClosedError', 'UnexpectedEOFError', 'ConnectionFailedError',
  'TooManyInboundProtocolStreamsError', 'TooManyOutboundProtocolStreamsError', 'StreamBufferError', 'LimitedConnectionError'
])

/**
 * The typed form of any error, so that no failure reaches the user as ERR_INTERNAL when it has a known cause: a
 * timeout (DOMException TimeoutError from AbortSignal.timeout), a peer that went away (libp2p stream and connection
 * errors), a file system errno. `peer`, when given, is named in the message. Anything else is returned unchanged.
 */
export function classifyError (err: unknown, peer?: string): unknown {
  const on = peer !== undefined ? ` (peer ${peer})` : ''
  const details = peer !== undefined ? { peer } : {}
  if (err instanceof EdgemirrorError) {
    if (peer === undefined || err.details.peer !== undefined) return err
    return new EdgemirrorError(err.code, `${err.message}${on}`, { ...err.details, peer }, { cause: err })
  }
  if (!(err instanceof Error)) return err
  if (err.name === 'TimeoutError') return new EdgemirrorError('ERR_TIMEOUT', `timed out${on}: ${err.message}`, details, { cause: err })
  if (err.name === 'AbortError') return new EdgemirrorError('ERR_ABORTED', `aborted${on}: ${err.message}`, details, { cause: err })
  if (PEER_GONE_ERRORS.has(err.name) || /stream (that )?is (closed|closing|reset|aborted)|stream closed|stream reset/i.test(err.message)) {
    return new PeerUnavailableError(`peer went away${on}: ${err.message}`, details)
  }
  const errno = (err as NodeJS.ErrnoException).code
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    const path = (err as NodeJS.ErrnoException).path
    const fsDetails = { ...details, errno, ...(path !== undefined ? { path } : {}) }
    if (errno === 'ENOSPC' || errno === 'EDQUOT') return new DiskFullError(`disk full${on}: ${err.message}`, fsDetails)
    if (errno === 'ECONNREFUSED' || errno === 'ECONNRESET' || errno === 'EPIPE' || errno === 'ETIMEDOUT') return new PeerUnavailableError(`${err.message}${on}`, fsDetails)
    return new FileAccessError(`${err.message}${on}`, fsDetails)
  }
  return err
}

/** Every holder was prepared but fewer than k could commit (they crashed between the two phases): the file cannot be
 *  read. The CID is in the details; holders that did commit keep their shards (docs/PROTOCOLS.md, "A failed share"). */
export class ShareIncompleteError extends EdgemirrorError {
  constructor (cid: string, committed: number, needed: number, failures: string[]) {
    super('ERR_SHARE_INCOMPLETE', `only ${committed} of the shards committed, ${needed} needed to read ${cid}: ${failures.join('; ')}`, { cid, committed, needed })
  }
}

/** A delete asked by a peer that is not an owner of the file (it did not share it, or its claim is unknown here). */
export class NotOwnerError extends EdgemirrorError {
  constructor (cid: string, peer: string) {
    super('ERR_NOT_OWNER', `${peer} is not an owner of ${cid}: only a node that shared a file may delete it`, { cid, peer })
  }
}

/** A signed owner claim or tombstone whose signature does not verify against its signer's peer id. */
export class InvalidSignatureError extends EdgemirrorError {
  constructor (what: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_SIGNATURE', `bad signature on the ${what}`, details)
  }
}

/** The file was deleted by its owners: it is not stored, repaired or placed again. */
export class FileDeletedError extends EdgemirrorError {
  constructor (cid: string, details: Record<string, unknown> = {}) {
    super('ERR_DELETED', `${cid} was deleted by its owners`, { cid, ...details })
  }
}

/** A mirror-set address or target that does not parse: PEERID/NAME[@SEQ][/PATH] (docs/MIRRORS.md, "Addresses"). */
export class InvalidAddressError extends EdgemirrorError {
  constructor (text: string, why: string) {
    super('ERR_INVALID_ADDRESS', `invalid mirror address ${JSON.stringify(text.slice(0, 200))}: ${why}`, { address: text.slice(0, 200) })
  }
}

/** A publisher this node does not trust (daemon --trust): its records are not kept, its sets not followed or served. */
export class NotTrustedError extends EdgemirrorError {
  constructor (publisher: string) {
    super('ERR_NOT_TRUSTED', `publisher ${publisher} is not trusted by this node (daemon --trust)`, { publisher })
  }
}

/** A path in a mirror set's tree that could leave the directory it belongs in or cannot be a file name: the coder's
 *  (coder/directory-manifest.ts checks paths), re-exported for node/mirror/. */
export { InvalidPathError } from '../coder/errors.ts'

/** Two paths of one tree that cannot both exist: the same path twice, or a file that another path needs as a
 *  directory ('a' and 'a/b'). */
export class PathConflictError extends EdgemirrorError {
  constructor (path: string, other: string) {
    super('ERR_PATH_CONFLICT', `paths ${JSON.stringify(path.slice(0, 200))} and ${JSON.stringify(other.slice(0, 200))} conflict: one file cannot also be a directory, or appear twice`, { path: path.slice(0, 200), other: other.slice(0, 200) })
  }
}

/** A directory to publish holds more files than a directory manifest may list (coder/directory-manifest.ts), or more
 *  paths it would leave out than a walk keeps in memory. */
export class TreeTooLargeError extends EdgemirrorError {
  constructor (dir: string, max: number, what = 'files') {
    super('ERR_TREE_TOO_LARGE', `${dir} holds more than ${max} ${what}, the most a mirror set version may have`, { dir, max })
  }
}

/** The control API's local fast path (share-local, fetch-local) found at the path something other than the file the
 *  client described (another inode, size or time, not a regular file, a symlink, or nothing it may open): the client
 *  streams the bytes over the API instead. docs/ARCHITECTURE.md, "The local fast path". */
export class LocalPathMismatchError extends EdgemirrorError {
  constructor (path: string, why: string) {
    super('ERR_LOCAL_PATH_MISMATCH', `${path.slice(0, 200)}: ${why}`, { path: path.slice(0, 200) })
  }
}

/** A state file of the repo over its bound (node/bounded-read.ts): not read into memory. */
export class FileTooLargeError extends EdgemirrorError {
  constructor (path: string, why: string) {
    super('ERR_FILE_TOO_LARGE', `${path}: ${why}`, { path })
  }
}
