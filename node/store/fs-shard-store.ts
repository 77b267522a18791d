// ShardStore on the local filesystem. Layout and crash-safety protocol: docs/STORAGE.md.
//   manifests/<cid>                          one file per manifest
//   shards/<cid>/<index>                     one file per shard
//   tmp/<pid>-<random>.{shard,manifest}      writes in progress; everything here is deleted by start()
//   quarantine/<cid>.<index>.<ms>[.reason]   shards taken out of service, kept for inspection
//   ownership/<cid>.json                     owner claims and tombstones of a CID (node/ownership.ts)
// Every name under manifests/ and shards/ is built only from a CID and index that passed assertValidCid /
// assertValidIndex, and everything the store serves is listed in an in-memory index built once by start().
import { randomBytes } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { AbortedError, InvalidParametersError, SizeMismatchError } from '../../coder/errors.ts'
import { NotFoundError } from '../errors.ts'
import { recordFromJson, recordToJson, type OwnershipRecord } from '../ownership.ts'
import { fsyncPath } from '../fs-atomic.ts'
import { CapacityAccount } from './capacity.ts'
import { StoreCorruptError, StoreNotStartedError, WriterClosedError } from './errors.ts'
import {
  assertValidCid, assertValidManifest, assertValidIndex, assertValidSize, CID_PATTERN, MAX_SHARD_INDEX, resolveReadRange,
  type ReadShardOptions, type ShardRef, type ShardStore, type ShardWriter, type StagedManifest, type StoreStats
} from './shard-store.ts'

export interface FsShardStoreInit {
  /** The repo's store/ directory; created by start() if missing. */
  dir: string
  /** Bytes of committed data plus open reservations the store may hold; null/undefined = unlimited. */
  capacity?: number | null
}

// The repo holds a private key next to the store: nothing in it is for other users (docs/STORAGE.md).
const DIR_MODE = 0o700
const FILE_MODE = 0o600
// O_NOFOLLOW: a symlink planted under shards/ is refused rather than followed out of the store.
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0)
const INDEX_NAME = /^(0|[1-9][0-9]{0,2})$/
/** An ownership record holds at most MAX_OWNERS claims and as many tombstones (~20 KiB): a larger file is not one. */
const MAX_OWNERSHIP_FILE = 64 * 1024
const OWNERSHIP_SUFFIX = '.json'

export class FsShardStore implements ShardStore {
  readonly dir: string
  readonly #capacity: CapacityAccount
  readonly #manifestsDir: string
  readonly #shardsDir: string
  readonly #tmpDir: string
  readonly #quarantineDir: string
  readonly #ownershipDir: string
  /** cid → index → size: the served set. */
  #shards = new Map<string, Map<number, number>>()
  #shardCount = 0
  /** cid → size */
  #manifests = new Map<string, number>()
  /** cid → ownership record (small, read once by start()). */
  #ownership = new Map<string, OwnershipRecord>()
  #writers = new Set<FsShardWriter>()
  #staged = new Set<StagedManifest>()
  #locks = new KeyedMutex()
  #started = false

  constructor (init: FsShardStoreInit) {
    if (typeof init?.dir !== 'string' || init.dir === '') throw new InvalidParametersError('FsShardStore needs a dir')
    this.dir = init.dir
    this.#capacity = new CapacityAccount(init.capacity ?? null)
    this.#manifestsDir = join(this.dir, 'manifests')
    this.#shardsDir = join(this.dir, 'shards')
    this.#tmpDir = join(this.dir, 'tmp')
    this.#quarantineDir = join(this.dir, 'quarantine')
    this.#ownershipDir = join(this.dir, 'ownership')
  }

  async start (): Promise<void> {
    if (this.#started) return
    for (const dir of [this.dir, this.#manifestsDir, this.#shardsDir, this.#tmpDir, this.#quarantineDir, this.#ownershipDir]) {
      await mkdir(dir, { recursive: true, mode: DIR_MODE })
    }
    // Anything in tmp/ was never renamed into place, so it was never visible: a crash mid-write loses only it.
    for (const name of await readdir(this.#tmpDir)) {
      await rm(join(this.#tmpDir, name), { recursive: true, force: true })
    }
    await fsyncPath(this.#tmpDir, { directory: true })

    const capacity = this.#capacity
    capacity.used = 0
    this.#manifests = new Map()
    for (const name of await readdir(this.#manifestsDir)) {
      // Names that are not valid CIDs were not written by this store: ignored, never served.
      if (!CID_PATTERN.test(name)) continue
      const info = await lstat(join(this.#manifestsDir, name))
      if (!info.isFile()) continue
      this.#manifests.set(name, info.size)
      capacity.used += info.size
    }
    this.#shards = new Map()
    this.#shardCount = 0
    for (const cid of await readdir(this.#shardsDir)) {
      if (!CID_PATTERN.test(cid)) continue
      const cidDir = join(this.#shardsDir, cid)
      if (!(await lstat(cidDir)).isDirectory()) continue
      const sizes = new Map<number, number>()
      for (const name of await readdir(cidDir)) {
        if (!INDEX_NAME.test(name) || Number(name) > MAX_SHARD_INDEX) continue
        const info = await lstat(join(cidDir, name))
        if (!info.isFile()) continue
        sizes.set(Number(name), info.size)
        capacity.used += info.size
      }
      if (sizes.size > 0) {
        this.#shards.set(cid, sizes)
        this.#shardCount += sizes.size
      }
    }
    this.#ownership = await this.#readOwnership()
    this.#started = true
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    await Promise.all([...this.#writers, ...this.#staged].map(async writer => { await writer.abort() }))
    this.#started = false
  }

  // ---- manifests

  async putManifest (cid: string, bytes: Uint8Array): Promise<void> {
    this.#assertStarted()
    assertValidManifest(cid, bytes)
    await this.#locks.run(`m/${cid}`, async () => {
      const old = this.#manifests.get(cid) ?? 0
      const reservation = Math.max(0, bytes.byteLength - old)
      this.#capacity.reserve(reservation)
      let settled = false
      const tmp = this.#tmpPath('manifest')
      try {
        await writeNewFile(tmp, bytes)
        await rename(tmp, join(this.#manifestsDir, cid))
        await fsyncPath(this.#manifestsDir, { directory: true })
        this.#capacity.settle(reservation, bytes.byteLength - old)
        settled = true
        this.#manifests.set(cid, bytes.byteLength)
      } finally {
        if (!settled) {
          this.#capacity.release(reservation)
          await unlinkIfExists(tmp)
        }
      }
    })
  }

  async stageManifest (cid: string, bytes: Uint8Array): Promise<StagedManifest> {
    this.#assertStarted()
    assertValidManifest(cid, bytes)
    // The whole size, not the growth over a copy already held: that copy may be deleted before commit.
    const reservation = bytes.byteLength
    this.#capacity.reserve(reservation)
    const tmp = this.#tmpPath('manifest')
    let state: 'staged' | 'committed' | 'aborted' = 'staged'
    const release = async (): Promise<void> => {
      if (state !== 'staged') return
      state = 'aborted'
      this.#staged.delete(staged)
      this.#capacity.release(reservation)
      await unlinkIfExists(tmp)
    }
    const staged: StagedManifest = {
      commit: async () => {
        if (state !== 'staged') throw new WriterClosedError(state)
        await this.#locks.run(`m/${cid}`, async () => {
          const old = this.#manifests.get(cid) ?? 0
          await rename(tmp, join(this.#manifestsDir, cid))
          state = 'committed'
          this.#staged.delete(staged)
          this.#capacity.settle(reservation, bytes.byteLength - old)
          this.#manifests.set(cid, bytes.byteLength)
          await fsyncPath(this.#manifestsDir, { directory: true })
        })
      },
      abort: release
    }
    try {
      await writeNewFile(tmp, bytes)
    } catch (err) {
      await release()
      throw err
    }
    this.#staged.add(staged)
    return staged
  }

  async getManifest (cid: string): Promise<Uint8Array | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    if (!this.#manifests.has(cid)) return undefined
    try {
      const buf = await readFile(join(this.#manifestsDir, cid), { flag: READ_FLAGS })
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined
      throw notRegularFile(err, `manifest ${cid}`, { cid })
    }
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
    await this.#locks.run(`m/${cid}`, async () => {
      const removed = await unlinkIfExists(join(this.#manifestsDir, cid))
      const size = this.#manifests.get(cid)
      if (size !== undefined) {
        this.#manifests.delete(cid)
        this.#capacity.used -= size
      }
      if (removed) await fsyncPath(this.#manifestsDir, { directory: true })
    })
  }

  // ---- shards

  async createShardWriter (expectedSize: number): Promise<ShardWriter> {
    this.#assertStarted()
    assertValidSize(expectedSize)
    this.#capacity.reserve(expectedSize)
    const tmp = this.#tmpPath('shard')
    let fh: FileHandle
    try {
      fh = await open(tmp, 'wx', FILE_MODE)
    } catch (err) {
      this.#capacity.release(expectedSize)
      throw err
    }
    const writer = new FsShardWriter(this, fh, tmp, expectedSize)
    this.#writers.add(writer)
    return writer
  }

  async * readShard (cid: string, index: number, options: ReadShardOptions = {}): AsyncGenerator<Uint8Array> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    const { signal } = options
    throwIfAborted(signal)
    // Only the served set is readable: whatever else lies under shards/ is never opened.
    const committed = this.#shards.get(cid)?.get(index)
    if (committed === undefined) throw new NotFoundError(`shard ${cid}/${index}`, { cid, index })
    let fh: FileHandle
    try {
      fh = await open(this.#shardPath(cid, index), READ_FLAGS)
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new NotFoundError(`shard ${cid}/${index}`, { cid, index })
      throw notRegularFile(err, `shard ${cid}/${index}`, { cid, index })
    }
    try {
      // The open handle pins this copy: a concurrent replace or delete does not change what this read returns.
      const size = (await fh.stat()).size
      // A file truncated or extended behind the store's back is not what was committed: say so on every read (callers
      // quarantine it), rather than serving the part that is left or failing with a range error.
      if (size !== committed) {
        throw new StoreCorruptError(`shard ${cid}/${index} is ${size} bytes on disk, ${committed} were committed`, { cid, index, size, committed })
      }
      const { offset, length, chunkSize } = resolveReadRange(size, options)
      let position = offset
      const end = offset + length
      while (position < end) {
        throwIfAborted(signal)
        // A fresh buffer per chunk: the consumer may keep it (e.g. queued in a stream) while we read on.
        const chunk = new Uint8Array(Math.min(chunkSize, end - position))
        let filled = 0
        while (filled < chunk.byteLength) {
          const { bytesRead } = await fh.read(chunk, filled, chunk.byteLength - filled, position + filled)
          if (bytesRead === 0) {
            throw new StoreCorruptError(`shard ${cid}/${index} ended at ${position + filled} bytes, expected ${size}`, { cid, index, size })
          }
          filled += bytesRead
        }
        position += filled
        yield chunk
      }
    } finally {
      await fh.close()
    }
  }

  async shardSize (cid: string, index: number): Promise<number | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    return this.#shards.get(cid)?.get(index)
  }

  async listShards (cid?: string): Promise<ShardRef[]> {
    this.#assertStarted()
    if (cid !== undefined) assertValidCid(cid)
    const cids = cid === undefined ? [...this.#shards.keys()].sort(compareStrings) : [cid]
    const refs: ShardRef[] = []
    for (const c of cids) {
      const sizes = this.#shards.get(c)
      if (sizes === undefined) continue
      for (const index of [...sizes.keys()].sort((a, b) => a - b)) refs.push({ cid: c, index, size: sizes.get(index) as number })
    }
    return refs
  }

  async deleteShard (cid: string, index: number): Promise<void> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    await this.#locks.run(`s/${cid}`, async () => {
      const removed = await unlinkIfExists(this.#shardPath(cid, index))
      this.#forget(cid, index)
      if (removed) await this.#syncAfterRemoval(cid)
    })
  }

  async quarantineShard (cid: string, index: number, reason: string): Promise<void> {
    this.#assertStarted()
    assertValidCid(cid)
    assertValidIndex(index)
    await this.#locks.run(`s/${cid}`, async () => {
      const size = this.#shards.get(cid)?.get(index)
      // Same-millisecond quarantines of one shard are serialized by the lock; bump the stamp instead of overwriting.
      let stamp = Date.now()
      let target = join(this.#quarantineDir, `${cid}.${index}.${stamp}`)
      while (await exists(target)) target = join(this.#quarantineDir, `${cid}.${index}.${++stamp}`)
      try {
        await rename(this.#shardPath(cid, index), target)
      } catch (err) {
        if (errno(err) === 'ENOENT') {
          this.#forget(cid, index)
          throw new NotFoundError(`shard ${cid}/${index}`, { cid, index })
        }
        throw err
      }
      // Out of the served set first (the rename above), then the explanation for whoever inspects it.
      this.#forget(cid, index)
      const note = JSON.stringify({ cid, index, size, reason: String(reason), quarantinedAt: new Date(stamp).toISOString() }, null, 2) + '\n'
      await writeNewFile(`${target}.reason`, new TextEncoder().encode(note))
      await fsyncPath(this.#quarantineDir, { directory: true })
      await this.#syncAfterRemoval(cid)
    })
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

  // ---- ownership records

  async getOwnership (cid: string): Promise<OwnershipRecord | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    const found = this.#ownership.get(cid)
    return found === undefined ? undefined : recordFromJson(cid, recordToJson(found)) // a copy the caller may change
  }

  async updateOwnership (cid: string, update: (current: OwnershipRecord | undefined) => OwnershipRecord | undefined): Promise<OwnershipRecord | undefined> {
    this.#assertStarted()
    assertValidCid(cid)
    return await this.#locks.run(`o/${cid}`, async () => {
      const next = update(await this.getOwnership(cid))
      const path = join(this.#ownershipDir, cid + OWNERSHIP_SUFFIX)
      if (next === undefined) {
        if (await unlinkIfExists(path)) await fsyncPath(this.#ownershipDir, { directory: true })
        this.#ownership.delete(cid)
        return undefined
      }
      const text = recordToJson(next)
      const stored = recordFromJson(cid, text) // what start() will read back, or a throw before the disk changes
      const tmp = this.#tmpPath('ownership')
      try {
        await writeNewFile(tmp, new TextEncoder().encode(text))
        await rename(tmp, path)
      } finally {
        await unlinkIfExists(tmp)
      }
      await fsyncPath(this.#ownershipDir, { directory: true })
      this.#ownership.set(cid, stored)
      return await this.getOwnership(cid)
    })
  }

  async listOwnership (): Promise<string[]> {
    this.#assertStarted()
    return [...this.#ownership.keys()].sort(compareStrings)
  }

  /** Every record under ownership/, validated: the disk is read as untrusted input, so one that is not a regular file
   *  named after a valid CID, is too large or does not parse is ignored (never used, left on disk for inspection). */
  async #readOwnership (): Promise<Map<string, OwnershipRecord>> {
    const records = new Map<string, OwnershipRecord>()
    for (const name of await readdir(this.#ownershipDir)) {
      const cid = name.slice(0, -OWNERSHIP_SUFFIX.length)
      if (!name.endsWith(OWNERSHIP_SUFFIX) || !CID_PATTERN.test(cid)) continue
      const path = join(this.#ownershipDir, name)
      const info = await lstat(path)
      if (!info.isFile() || info.size > MAX_OWNERSHIP_FILE) continue
      try {
        records.set(cid, recordFromJson(cid, await readFile(path, { encoding: 'utf8', flag: READ_FLAGS })))
      } catch {
        // Malformed: not written by this store (its writes are atomic). Left on disk for inspection, never used.
      }
    }
    return records
  }

  // ---- used by FsShardWriter

  /** Rename a synced tmp file into place as (cid, index) and turn the writer's reservation into used bytes.
   *  `onPublished` runs in the same tick as the rename's bookkeeping, before the directory fsyncs. */
  async publishShard (writer: FsShardWriter, tmp: string, cid: string, index: number, size: number, reservation: number, onPublished: () => void): Promise<void> {
    await this.#locks.run(`s/${cid}`, async () => {
      const cidDir = join(this.#shardsDir, cid)
      let created = false
      try {
        await mkdir(cidDir, { mode: DIR_MODE })
        created = true
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err
      }
      await rename(tmp, join(cidDir, String(index)))
      // Visible on disk now: account for it at once, so a failing fsync below cannot leave it uncounted.
      let sizes = this.#shards.get(cid)
      if (sizes === undefined) this.#shards.set(cid, sizes = new Map())
      const old = sizes.get(index)
      if (old === undefined) this.#shardCount++
      sizes.set(index, size)
      this.#writers.delete(writer)
      this.#capacity.settle(reservation, size - (old ?? 0))
      onPublished()
      await fsyncPath(cidDir, { directory: true })
      if (created) await fsyncPath(this.#shardsDir, { directory: true })
    })
  }

  releaseWriter (writer: FsShardWriter, reservation: number): void {
    if (this.#writers.delete(writer)) this.#capacity.release(reservation)
  }

  // ---- internals

  #assertStarted (): void {
    if (!this.#started) throw new StoreNotStartedError()
  }

  #shardPath (cid: string, index: number): string {
    return join(this.#shardsDir, cid, String(index))
  }

  #tmpPath (kind: 'shard' | 'manifest' | 'ownership'): string {
    return join(this.#tmpDir, `${process.pid}-${randomBytes(12).toString('hex')}.${kind}`)
  }

  #forget (cid: string, index: number): void {
    const sizes = this.#shards.get(cid)
    const size = sizes?.get(index)
    if (sizes === undefined || size === undefined) return
    sizes.delete(index)
    if (sizes.size === 0) this.#shards.delete(cid)
    this.#shardCount--
    this.#capacity.used -= size
  }

  /** Persist a removal from shards/<cid>/, and drop the cid directory once it is empty. */
  async #syncAfterRemoval (cid: string): Promise<void> {
    const cidDir = join(this.#shardsDir, cid)
    if (this.#shards.has(cid)) {
      await fsyncPath(cidDir, { directory: true })
      return
    }
    try {
      await rmdir(cidDir)
    } catch (err) {
      const code = errno(err)
      if (code === 'ENOTEMPTY' || code === 'EEXIST') { await fsyncPath(cidDir, { directory: true }); return }
      if (code !== 'ENOENT') throw err
    }
    await fsyncPath(this.#shardsDir, { directory: true })
  }
}

type WriterState = 'open' | 'committing' | 'committed' | 'aborted'

class FsShardWriter implements ShardWriter {
  readonly #store: FsShardStore
  readonly #fh: FileHandle
  readonly #tmp: string
  readonly #expectedSize: number
  #state: WriterState = 'open'
  /** Bytes handed to write(), including those still queued. */
  #accepted = 0
  #written = 0
  /** Writes run one after another in call order, even if the caller does not await each one. */
  #tail: Promise<void> = Promise.resolve()
  #failure: unknown
  #closed = false
  #commit?: Promise<void>
  #abort?: Promise<void>

  constructor (store: FsShardStore, fh: FileHandle, tmp: string, expectedSize: number) {
    this.#store = store
    this.#fh = fh
    this.#tmp = tmp
    this.#expectedSize = expectedSize
  }

  async write (chunk: Uint8Array): Promise<void> {
    if (this.#state !== 'open') throw new WriterClosedError(this.#state)
    if (!(chunk instanceof Uint8Array)) throw new InvalidParametersError('chunk must be a Uint8Array')
    if (this.#accepted + chunk.byteLength > this.#expectedSize) {
      const err = new SizeMismatchError(`shard writer got ${this.#accepted + chunk.byteLength} bytes, expected ${this.#expectedSize}`, { expectedSize: this.#expectedSize, received: this.#accepted + chunk.byteLength })
      await this.abort()
      throw err
    }
    this.#accepted += chunk.byteLength
    const done = this.#tail.then(async () => {
      if (this.#failure !== undefined) throw this.#failure
      await writeFully(this.#fh, chunk)
      this.#written += chunk.byteLength
    })
    this.#tail = done.catch(err => { this.#failure ??= err })
    try {
      await done
    } catch (err) {
      await this.abort()
      throw err
    }
  }

  async prepare (): Promise<void> {
    if (this.#state !== 'open') throw new WriterClosedError(this.#state)
    try {
      await this.#tail
      if (this.#failure !== undefined) throw this.#failure
      if (this.#written !== this.#expectedSize) {
        throw new SizeMismatchError(`shard writer got ${this.#written} bytes, expected ${this.#expectedSize}`, { expectedSize: this.#expectedSize, received: this.#written })
      }
      await this.#fh.sync()
    } catch (err) {
      await this.abort()
      throw err
    }
  }

  async commit (cid: string, index: number): Promise<void> {
    if (this.#state !== 'open') throw new WriterClosedError(this.#state)
    this.#state = 'committing'
    this.#commit = this.#doCommit(cid, index)
    return await this.#commit
  }

  async #doCommit (cid: string, index: number): Promise<void> {
    try {
      assertValidCid(cid)
      assertValidIndex(index)
      await this.#tail
      if (this.#failure !== undefined) throw this.#failure
      if (this.#written !== this.#expectedSize) {
        throw new SizeMismatchError(`shard writer got ${this.#written} bytes, expected ${this.#expectedSize}`, { expectedSize: this.#expectedSize, received: this.#written })
      }
      await this.#fh.sync()
      this.#closed = true
      await this.#fh.close()
      await this.#store.publishShard(this, this.#tmp, cid, index, this.#expectedSize, this.#expectedSize, () => { this.#state = 'committed' })
    } catch (err) {
      // Renamed into place but a directory fsync failed: the shard is published, the error still reported.
      if (this.#state === 'committed') throw err
      // A writer is single use: a failed commit discards the data and frees the reservation.
      this.#state = 'aborted'
      this.#abort = this.#discard()
      await this.#abort
      throw err
    }
  }

  async abort (): Promise<void> {
    if (this.#state === 'committed') return
    if (this.#state === 'committing') {
      await this.#commit?.catch(() => {}) // a failed commit was thrown to its own caller; abort only waits for it to end
      return
    }
    this.#state = 'aborted'
    this.#abort ??= this.#discard()
    await this.#abort
  }

  async #discard (): Promise<void> {
    this.#store.releaseWriter(this, this.#expectedSize)
    await this.#tail
    if (!this.#closed) {
      this.#closed = true
      await this.#fh.close()
    }
    await unlinkIfExists(this.#tmp)
  }
}

/** One async critical section at a time per key (here: per CID), in arrival order. */
class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  async run<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>(resolve => { release = resolve })
    const tail = previous.then(async () => { await mine })
    this.#tails.set(key, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }
}

function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortedError('shard read aborted')
}

/** Create `path` (it must not exist), write `bytes` and fsync it: a temp manifest, a quarantine note. */
async function writeNewFile (path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx', FILE_MODE)
  try {
    await writeFully(fh, bytes)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

async function writeFully (fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset)
    offset += bytesWritten
  }
}

/** fsync a directory so a rename or unlink in it survives a power cut (POSIX; no-op where directories cannot be opened). */
async function unlinkIfExists (path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (err) {
    if (errno(err) === 'ENOENT') return false
    throw err
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (err) {
    if (errno(err) === 'ENOENT') return false
    throw err
  }
}

/** ELOOP from O_NOFOLLOW: something replaced a file the store wrote with a symlink. */
function notRegularFile (err: unknown, what: string, details: Record<string, unknown>): unknown {
  if (errno(err) !== 'ELOOP') return err
  return new StoreCorruptError(`${what} is a symlink, not a file the store wrote`, details)
}

function errno (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
