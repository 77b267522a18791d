// Errors specific to the shard store. Shared ones (NotFoundError, StoreFullError, SizeMismatchError, AbortedError,
// InvalidParametersError) come from node/errors.ts and coder/errors.ts; every error here has a stable `code`.
import { EdgemirrorError } from '../errors.ts'

/** A CID or shard index that is not in the strict form the store accepts (it came from a peer: never trusted). */
export class InvalidIdError extends EdgemirrorError {
  constructor (what: 'cid' | 'index', value: unknown) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : String(value)
    super('ERR_INVALID_ID', `invalid shard ${what}: ${shown}`, { [what]: typeof value === 'string' ? value.slice(0, 100) : value })
  }
}

/** A read range (offset/length) that does not lie inside the shard. */
export class InvalidRangeError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_RANGE', message, details)
  }
}

/** The bytes on disk are not what the store committed (e.g. a shard shorter than its size when it was opened). */
export class StoreCorruptError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_STORE_CORRUPT', message, details)
  }
}

/** write()/commit() on a writer that was already committed or aborted. */
export class WriterClosedError extends EdgemirrorError {
  constructor (state: string) {
    super('ERR_WRITER_CLOSED', `shard writer is ${state}`, { state })
  }
}

/** An operation on a store that was not started (or was stopped). */
export class StoreNotStartedError extends EdgemirrorError {
  constructor () {
    super('ERR_STORE_NOT_STARTED', 'shard store is not started')
  }
}
