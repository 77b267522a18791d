// The control API's HTTP surface, shared by server and client so the two cannot drift apart: paths, headers, the
// error body, and how an error code maps to an HTTP status.

export const API_VERSION_PREFIX = '/v1'

export const ROUTES = {
  id: `${API_VERSION_PREFIX}/id`,
  status: `${API_VERSION_PREFIX}/status`,
  peers: `${API_VERSION_PREFIX}/peers`,
  ls: `${API_VERSION_PREFIX}/ls`,
  share: `${API_VERSION_PREFIX}/share`,
  /** + '/<cid>' */
  fetch: `${API_VERSION_PREFIX}/fetch`,
  /** + '/<cid>' */
  check: `${API_VERSION_PREFIX}/check`,
  /** + '/<cid>' */
  repair: `${API_VERSION_PREFIX}/repair`,
  /** + '/<cid>' */
  rm: `${API_VERSION_PREFIX}/rm`
} as const

/** Response headers of a fetch: what the client needs before the body to check what it writes. */
export const HEADER_SIZE = 'x-edgemirror-size'
export const HEADER_SHA256 = 'x-edgemirror-sha256'
export const HEADER_NAME = 'x-edgemirror-name'
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
    case 'ERR_NOT_TRUSTED': return 403
    case 'ERR_NOT_FOUND': return 404
    case 'ERR_DELETED': return 410
    case 'ERR_NOT_ENOUGH_PEERS':
    case 'ERR_PLACEMENT_INFEASIBLE':
    case 'ERR_NOT_ENOUGH_SHARDS': return 409
    case 'ERR_STORE_FULL':
    case 'ERR_DISK_FULL': return 507
    case 'ERR_HOLDER_FAILED':
    case 'ERR_PEER_UNAVAILABLE':
    case 'ERR_SHARE_INCOMPLETE': return 502
    case 'ERR_TIMEOUT': return 504
    case 'ERR_USAGE':
    case 'ERR_INVALID_ADDRESS':
    case 'ERR_INVALID_PATH':
    case 'ERR_PATH_CONFLICT':
    case 'ERR_TREE_TOO_LARGE':
    case 'ERR_INVALID_CID':
    case 'ERR_INVALID_ID':
    case 'ERR_INVALID_SIGNATURE':
    case 'ERR_INVALID_PARAMETERS':
    case 'ERR_SIZE_MISMATCH':
    case 'ERR_UNKNOWN_CODEC': return 400
    default: return 500
  }
}
