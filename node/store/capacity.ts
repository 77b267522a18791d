// Capacity accounting shared by the store implementations: committed bytes plus open reservations must fit.
// Reserving is synchronous, so two concurrent createShardWriter() calls can never both take the last free bytes.
import { InvalidParametersError } from '../../coder/errors.ts'
import { StoreFullError } from '../errors.ts'

export class CapacityAccount {
  readonly capacity: number | null
  /** Committed bytes (shards + manifests). */
  used = 0
  /** Bytes promised to writes in progress. */
  reserved = 0

  constructor (capacity: number | null = null) {
    if (capacity !== null && (!Number.isSafeInteger(capacity) || capacity < 0)) {
      throw new InvalidParametersError(`capacity must be null or a non-negative integer, got ${String(capacity)}`, { capacity })
    }
    this.capacity = capacity
  }

  get free (): number {
    return this.capacity === null ? Infinity : Math.max(0, this.capacity - this.used - this.reserved)
  }

  /** Take `bytes` out of the free space or throw StoreFullError (ERR_STORE_FULL). */
  reserve (bytes: number): void {
    const free = this.free
    if (bytes > free) throw new StoreFullError(bytes, free)
    this.reserved += bytes
  }

  release (bytes: number): void {
    this.reserved -= bytes
  }

  /** Turn a reservation into committed bytes in one step (no window where the space is counted twice or not at all). */
  settle (reservation: number, usedDelta: number): void {
    this.reserved -= reservation
    this.used += usedDelta
  }
}
