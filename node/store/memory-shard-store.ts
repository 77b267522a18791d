// ShardStore in memory, with the same semantics as FsShardStore (it runs the same compliance suite), for tests of
// the services around the store. Everything handed in or out is copied, so callers cannot alias stored bytes.
import { AbortedError, InvalidParametersError, SizeMismatchError } from '../../coder/errors.ts'
import { NotFoundError } from '../errors.ts'
import { recordFromJson, recordToJson, type OwnershipRecord } from '../ownership.ts'
import { CapacityAccount } from './capacity.ts'
import { StoreNotStartedError, WriterClosedError } from './errors.ts'
import {
  assertValidCid, assertValidManifest, assertValidIndex, assertValidSize, resolveReadRange,
  type ReadShardOptions, type ShardRef, type ShardStore, type ShardWriter, type StagedManifest, type StoreStats
} from './shard-store.ts'

export interface MemoryShardStoreInit {
  capacity?: number | null
}

export interface QuarantinedShard { cid: string, index: number, bytes: Uint8Array, reason: string, quarantinedAt: number }

export class MemoryShardStore implements ShardStore {
  readonly #capacity: CapacityAccount
  readonly #shards = new Map<string, Map<number, Uint8Array>>()
  readonly #manifests = new Map<string, Uint8Array>()
  readonly #writers = new Set<{ abort: () => Promise<void> }>()
  /** cid → ownership record, as its JSON text (what the disk holds): every read is a fresh, validated copy. */
  readonly #ownership = new Map<string, string>()
  #shardCount = 0
  #started = false
  /** Shards taken out of service, for tests to inspect (the memory equivalent of quarantine/). */
  readonly quarantined: QuarantinedShard[] = []

  constructor (init: MemoryShardStoreInit = {}) {
    this.#capacity = new CapacityAccount(init.capacity ?? null)
  }

  async start (): Promise<void> {
    this.#started = true
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    await Promise.all([...this.#writers].map(async writer => { await writer.abort() }))
    this.#started = false
  }

  async putManifest (cid: string, bytes: Uint8Array): Promise<void> {
    this.#assertStarted()
    assertValidManifest(cid, bytes)
    const old = this.#manifests.get(cid)?.byteLength ?? 0
    const reservation = Math.max(0, bytes.byteLength - old)
    this.#capacity.reserve(reservation)
    this.#manifests.set(cid, bytes.slice())
    this.#capacity.settle(reservation, bytes.byteLength - old)
  }

  async stageManifest (cid: string, bytes: Uint8Array): Promise<StagedManifest> {
    this.#assertStarted()
    assertValidManifest(cid, bytes)
    const copy = bytes.slice()
    this.#capacity.reserve(copy.byteLength)
    let state: 'staged' | 'committed' | 'aborted' = 'staged'
    const staged: StagedManifest = {
      commit: async () => {
        if (state !== 'staged') throw new WriterClosedError(state)
        state = 'committed'
        this.#writers.delete(staged)
        const old = this.#manifests.get(cid)?.byteLength ?? 0
        this.#manifests.set(cid, copy)
        this.#capacity.settle(copy.byteLength, copy.byteLength - old)
      },
      abort: async () => {
        if (state !== 'staged') return
        state = 'aborted'
        this.#writers.delete(staged)
        this.#capacity.release(copy.byteLength)
      }
    }
    this.#writers.add(staged)
    return staged
  }

  async getManifest (cid: string): Promise<Uint8Array | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    return this.#manifests.get(cid)?.slice()
  }

  async hasManifest (cid: string): Promise<boolean> {
    this.#assertStarted()
    assertValidCid(cid)
    return this.#manifests.has(cid)
  }

  async listManifests (): Promise<string[]> {
    this.#assertStarted()
    return [...this.#manifests.keys()].sort(compareStrings)
  }

  async deleteManifest (cid: string): Promise<void> {
    this.#assertStarted()
    assertValidCid(cid)
    const bytes = this.#manifests.get(cid)
    if (bytes === undefined) return
    this.#manifests.delete(cid)
    this.#capacity.used -= bytes.byteLength
  }

  async createShardWriter (expectedSize: number): Promise<ShardWriter> {
    this.#assertStarted()
    assertValidSize(expectedSize)
    this.#capacity.reserve(expectedSize)
    const writer = new MemoryShardWriter(this, expectedSize)
    this.#writers.add(writer)
    return writer
  }

  async * readShard (cid: string, index: number, options: ReadShardOptions = {}): AsyncGenerator<Uint8Array> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    const { signal } = options
    throwIfAborted(signal)
    // Hold this copy for the whole read, as an open file handle would.
    const bytes = this.#shards.get(cid)?.get(index)
    if (bytes === undefined) throw new NotFoundError(`shard ${cid}/${index}`, { cid, index })
    const { offset, length, chunkSize } = resolveReadRange(bytes.byteLength, options)
    for (let position = offset; position < offset + length; position += chunkSize) {
      throwIfAborted(signal)
      yield bytes.slice(position, Math.min(position + chunkSize, offset + length))
    }
  }

  async shardSize (cid: string, index: number): Promise<number | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    return this.#shards.get(cid)?.get(index)?.byteLength
  }

  async listShards (cid?: string): Promise<ShardRef[]> {
    this.#assertStarted()
    if (cid !== undefined) assertValidCid(cid)
    const cids = cid === undefined ? [...this.#shards.keys()].sort(compareStrings) : [cid]
    const refs: ShardRef[] = []
    for (const c of cids) {
      const shards = this.#shards.get(c)
      if (shards === undefined) continue
      for (const index of [...shards.keys()].sort((a, b) => a - b)) refs.push({ cid: c, index, size: (shards.get(index) as Uint8Array).byteLength })
    }
    return refs
  }

  async deleteShard (cid: string, index: number): Promise<void> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    this.#remove(cid, index)
  }

  async quarantineShard (cid: string, index: number, reason: string): Promise<void> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    const bytes = this.#remove(cid, index)
    if (bytes === undefined) throw new NotFoundError(`shard ${cid}/${index}`, { cid, index })
    this.quarantined.push({ cid, index, bytes, reason: String(reason), quarantinedAt: Date.now() })
  }

  async stats (): Promise<StoreStats> {
    this.#assertStarted()
    const capacity = this.#capacity
    return {
      shards: this.#shardCount,
      manifests: this.#manifests.size,
      bytes: capacity.used,
      reservedBytes: capacity.reserved,
      capacity: capacity.capacity,
      freeBytes: capacity.free
    }
  }

  async getOwnership (cid: string): Promise<OwnershipRecord | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    const text = this.#ownership.get(cid)
    return text === undefined ? undefined : recordFromJson(cid, text)
  }

  async updateOwnership (cid: string, update: (current: OwnershipRecord | undefined) => OwnershipRecord | undefined): Promise<OwnershipRecord | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    // No await between the read and the write: concurrent updates of one CID cannot interleave.
    const text0 = this.#ownership.get(cid)
    const next = update(text0 === undefined ? undefined : recordFromJson(cid, text0))
    if (next === undefined) {
      this.#ownership.delete(cid)
      return undefined
    }
    const text = recordToJson(next)
    const stored = recordFromJson(cid, text) // what a read would see, or a throw before anything changed
    this.#ownership.set(cid, text)
    return stored
  }

  async listOwnership (): Promise<string[]> {
    this.#assertStarted()
    return [...this.#ownership.keys()].sort(compareStrings)
  }

  /** Called by a writer's commit: store its bytes and turn its reservation into used bytes. */
  publishShard (writer: MemoryShardWriter, cid: string, index: number, bytes: Uint8Array): void {
    let shards = this.#shards.get(cid)
    if (shards === undefined) this.#shards.set(cid, shards = new Map())
    const old = shards.get(index)
    if (old === undefined) this.#shardCount++
    shards.set(index, bytes)
    this.#writers.delete(writer)
    this.#capacity.settle(bytes.byteLength, bytes.byteLength - (old?.byteLength ?? 0))
  }

  releaseWriter (writer: MemoryShardWriter, reservation: number): void {
    if (this.#writers.delete(writer)) this.#capacity.release(reservation)
  }

  #assertStarted (): void {
    if (!this.#started) throw new StoreNotStartedError()
  }

  #remove (cid: string, index: number): Uint8Array | undefined {
    const shards = this.#shards.get(cid)
    const bytes = shards?.get(index)
    if (shards === undefined || bytes === undefined) return undefined
    shards.delete(index)
    if (shards.size === 0) this.#shards.delete(cid)
    this.#shardCount--
    this.#capacity.used -= bytes.byteLength
    return bytes
  }
}

class MemoryShardWriter implements ShardWriter {
  readonly #store: MemoryShardStore
  readonly #expectedSize: number
  #state: 'open' | 'committed' | 'aborted' = 'open'
  #chunks: Uint8Array[] = []
  #written = 0

  constructor (store: MemoryShardStore, expectedSize: number) {
    this.#store = store
    this.#expectedSize = expectedSize
  }

  async write (chunk: Uint8Array): Promise<void> {
    if (this.#state !== 'open') throw new WriterClosedError(this.#state)
    if (!(chunk instanceof Uint8Array)) throw new InvalidParametersError('chunk must be a Uint8Array')
    if (this.#written + chunk.byteLength > this.#expectedSize) {
      const received = this.#written + chunk.byteLength
      await this.abort()
      throw new SizeMismatchError(`shard writer got ${received} bytes, expected ${this.#expectedSize}`, { expectedSize: this.#expectedSize, received })
    }
    this.#chunks.push(chunk.slice())
    this.#written += chunk.byteLength
  }

  async prepare (): Promise<void> {
    if (this.#state !== 'open') throw new WriterClosedError(this.#state)
    if (this.#written !== this.#expectedSize) {
      await this.abort()
      throw new SizeMismatchError(`shard writer got ${this.#written} bytes, expected ${this.#expectedSize}`, { expectedSize: this.#expectedSize, received: this.#written })
    }
  }

  async commit (cid: string, index: number): Promise<void> {
    if (this.#state !== 'open') throw new WriterClosedError(this.#state)
    try {
      assertValidCid(cid)
      assertValidIndex(index)
      if (this.#written !== this.#expectedSize) {
        throw new SizeMismatchError(`shard writer got ${this.#written} bytes, expected ${this.#expectedSize}`, { expectedSize: this.#expectedSize, received: this.#written })
      }
    } catch (err) {
      await this.abort()
      throw err
    }
    const bytes = new Uint8Array(this.#written)
    let offset = 0
    for (const chunk of this.#chunks) {
      bytes.set(chunk, offset)
      offset += chunk.byteLength
    }
    this.#chunks = []
    this.#state = 'committed'
    this.#store.publishShard(this, cid, index, bytes)
  }

  async abort (): Promise<void> {
    if (this.#state !== 'open') return
    this.#state = 'aborted'
    this.#chunks = []
    this.#store.releaseWriter(this, this.#expectedSize)
  }
}

function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortedError('shard read aborted')
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
