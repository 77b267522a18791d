// The control API's HTTP surface, shared by server and client so the two cannot drift apart: paths, headers, the
// error body, and how an error code maps to an HTTP status.
import type { ProgressEvent } from '../../coder/progress.ts'
import type { FetchReport } from '../fetch/types.ts'
import type { PublishResult } from '../mirror/types.ts'
import type { ShareOptions } from '../share/types.ts'

export const API_VERSION_PREFIX = '/v1'

export const ROUTES = {
  id: `${API_VERSION_PREFIX}/id`,
  status: `${API_VERSION_PREFIX}/status`,
  peers: `${API_VERSION_PREFIX}/peers`,
  ls: `${API_VERSION_PREFIX}/ls`,
  share: `${API_VERSION_PREFIX}/share`,
  /** POST, a ShareLocalRequestBody: the daemon reads the file itself; answers NDJSON (ProgressLine<SharedFile>). */
  shareLocal: `${API_VERSION_PREFIX}/share-local`,
  /** POST, a FetchLocalRequestBody: the daemon fills a file the client created; answers NDJSON (ProgressLine<FetchLocalResult>). */
  fetchLocal: `${API_VERSION_PREFIX}/fetch-local`,
  /** + '/<cid>' or '/<capability>' (an encrypted file, docs/ENCRYPTION.md) */
  fetch: `${API_VERSION_PREFIX}/fetch`,
  /** + '/<cid>' */
  check: `${API_VERSION_PREFIX}/check`,
  /** + '/<cid>' */
  repair: `${API_VERSION_PREFIX}/repair`,
  /** + '/<cid>' */
  rm: `${API_VERSION_PREFIX}/rm`,
  /** POST, a PublishRequestBody; answers NDJSON (PublishLine). */
  publish: `${API_VERSION_PREFIX}/publish`,
  /** POST {address, dir} */
  follow: `${API_VERSION_PREFIX}/follow`,
  /** POST {address} */
  unfollow: `${API_VERSION_PREFIX}/unfollow`,
  mirrors: `${API_VERSION_PREFIX}/mirrors`,
  // Mirror addresses and targets hold '/', so they travel in the query rather than as a path segment.
  /** + '?address=PEERID/NAME' */
  versions: `${API_VERSION_PREFIX}/versions`,
  /** + '?target=PEERID/NAME[@SEQ][/PATH]' */
  tree: `${API_VERSION_PREFIX}/tree`,
  /** + '?target=PEERID/NAME[@SEQ]/PATH'; streams like fetch, with the mirror headers below. */
  fetchPath: `${API_VERSION_PREFIX}/fetch-path`
} as const

/** Largest JSON request body (publish, follow, unfollow, share-local, fetch-local): a name, an address and a path (4096 bytes at most on Linux,
 *  PATH_MAX) fit many times over. */
export const MAX_JSON_REQUEST = 64 * 1024

/** The JSON body of POST /v1/publish: PublishOptions without what cannot cross HTTP (signal, onProgress). */
export interface PublishRequestBody { dir: string, name: string, keep?: number, k: number, m: number, allowFewerPeers?: boolean }

/**
 * Which file the client means, as its own fstat(2) of it saw it, for the local fast path (docs/ARCHITECTURE.md, "The
 * local fast path"). `dev`, `ino` and `mtimeNs` are decimal strings: an inode number may exceed 2^53, past what a JSON
 * number holds exactly.
 */
export interface LocalFileClaim { path: string, dev: string, ino: string }

/** The JSON body of POST /v1/share-local: the file to share (its size and modification time too, so a file changed
 *  in place is not taken for the one the client saw) and the ShareOptions that can cross HTTP. */
export interface ShareLocalRequestBody extends LocalFileClaim, Omit<ShareOptions, 'signal' | 'onProgress'> {
  mtimeNs: string
}

/** The JSON body of POST /v1/fetch-local: the file to read (`cid`: a CID, or a capability for an encrypted file) and the
 *  empty temp file the client created to hold it. */
export interface FetchLocalRequestBody extends LocalFileClaim { cid: string }

/** What a fetch-local answers: the fetch's report, and the file's size and manifest SHA-256 (the header of a streamed
 *  fetch; null for an encrypted file, FetchStart.sha256). */
export interface FetchLocalResult extends FetchReport { cid: string, size: number, sha256: string | null, name: string | null }

/** Publish, share-local and fetch-local answer `application/x-ndjson`: progress lines as the daemon reports them, then
 *  one result or error line. */
export const NDJSON_TYPE = 'application/x-ndjson'
export type ProgressLine<T> = { progress: ProgressEvent } | { result: T } | ErrorBody
export type PublishLine = ProgressLine<PublishResult>
/** At most 10 progress lines a second: enough for a smooth bar, few enough to cost nothing next to the transfer. */
export const PROGRESS_INTERVAL_MS = 100

/** Response headers of a fetch: what the client needs before the body to check what it writes (no SHA-256 header for
 *  an encrypted file: FetchStart.sha256). */
export const HEADER_SIZE = 'x-edgemirror-size'
export const HEADER_SHA256 = 'x-edgemirror-sha256'
export const HEADER_NAME = 'x-edgemirror-name'
export const HEADER_CID = 'x-edgemirror-cid'
/** Headers of a fetch-path: which set, publisher, version and path the bytes are, and whether they came from this
 *  node's followed copy ('true') or the swarm ('false'). Path and address are percent-encoded (UTF-8 names). */
export const HEADER_ADDRESS = 'x-edgemirror-address'
export const HEADER_PUBLISHER = 'x-edgemirror-publisher'
export const HEADER_SEQ = 'x-edgemirror-seq'
export const HEADER_PATH = 'x-edgemirror-path'
export const HEADER_LOCAL = 'x-edgemirror-local'
/** Trailer of a fetch: the FetchReport as JSON, or an `ErrorBody` when the file could not be rebuilt mid-stream. */
export const TRAILER_RESULT = 'x-edgemirror-result'

/** The JSON body of every failed request. */
export interface ErrorBody {
  error: { code: string, message: string, details?: Record<string, unknown> }
}

/** HTTP status for an error code: the CLI branches on the code in the body, the status is for humans and curl. */
export function statusForCode (code: string): number {
  switch (code) {
    case 'ERR_UNAUTHORIZED': return 401
    case 'ERR_NOT_OWNER':
    case 'ERR_NOT_TRUSTED':
    case 'ERR_KEY_REQUIRED':
    case 'ERR_WRONG_KEY': return 403
    case 'ERR_NOT_FOUND': return 404
    case 'ERR_DELETED': return 410
    case 'ERR_LOCAL_PATH_MISMATCH': return 409
    case 'ERR_NOT_ENOUGH_PEERS':
    case 'ERR_PLACEMENT_INFEASIBLE':
    case 'ERR_NOT_ENOUGH_SHARDS': return 409
    case 'ERR_STORE_FULL':
    case 'ERR_DISK_FULL': return 507
    case 'ERR_HOLDER_FAILED':
    case 'ERR_PEER_UNAVAILABLE':
    case 'ERR_SHARE_INCOMPLETE': return 502
    case 'ERR_TIMEOUT': return 504
    case 'ERR_REQUEST_TOO_LARGE': return 413
    case 'ERR_USAGE':
    case 'ERR_INVALID_ADDRESS':
    case 'ERR_INVALID_PATH':
    case 'ERR_PATH_CONFLICT':
    case 'ERR_TREE_TOO_LARGE':
    case 'ERR_INVALID_CID':
    case 'ERR_INVALID_CAPABILITY':
    case 'ERR_INVALID_ID':
    case 'ERR_INVALID_SIGNATURE':
    case 'ERR_INVALID_PARAMETERS':
    case 'ERR_SIZE_MISMATCH':
    case 'ERR_UNKNOWN_CODEC': return 400
    default: return 500
  }
}
