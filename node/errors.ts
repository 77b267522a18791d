// Errors raised by the daemon and its services. Every one has a stable `code` (see coder/errors.ts for the base).
import { EdgemirrorError } from '../coder/errors.ts'

export { EdgemirrorError }

export class NotFoundError extends EdgemirrorError {
  constructor (what: string, details: Record<string, unknown> = {}) {
    super('ERR_NOT_FOUND', `not found: ${what}`, details)
  }
}

export class NotEnoughPeersError extends EdgemirrorError {
  constructor (available: number, needed: number, details: Record<string, unknown> = {}) {
    super('ERR_NOT_ENOUGH_PEERS', `not enough peers: ${available} available, ${needed} needed (use --allow-fewer-peers to place several shards per peer)`, { available, needed, ...details })
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
