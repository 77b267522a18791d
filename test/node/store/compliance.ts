// The ShardStore compliance suite: every implementation runs exactly these cases (STYLE.md: one store interface,
// one suite). Implementation-specific behaviour (files on disk, crash recovery) is tested next to the caller.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { OwnershipRecord } from '../../../node/ownership.ts'
import type { ShardStore, ShardWriter } from '../../../node/store/shard-store.ts'

export interface ShardStoreFactoryOptions { capacity?: number | null }

/** Returns a fresh store that is NOT yet started; the suite starts and stops it. `cleanup` removes its traces. */
export type ShardStoreFactory = (options?: ShardStoreFactoryOptions) => Promise<{ store: ShardStore, cleanup(): Promise<void> }>

/** A valid base32 CIDv1-shaped id; `label` must use [a-z2-7] only. */
export function testCid (label: string): string {
  return `bafkrei${label}`.padEnd(59, 'q')
}

export async function readAll (chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of chunks) parts.push(chunk)
  return concat(parts)
}

/** Concatenate into a plain Uint8Array (not a Buffer, so deepStrictEqual against Uint8Array holds). */
export function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/** An ownership record for `cid` (the store checks its shape, not its signatures). */
export function ownershipOf (cid: string, owners: string[], deletedBy: string[] = []): OwnershipRecord {
  return {
    owners: owners.map((owner, i) => ({ cid, owner, issuedAt: 1000 + i, signature: pattern(64, i + 1) })),
    tombstones: deletedBy.map((owner, i) => ({ cid, owner, issuedAt: 2000 + i, graceMs: 60_000, signature: pattern(64, i + 7) }))
  }
}

export function pattern (size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    // xorshift32: a cheap pattern that differs at every offset, so a misplaced chunk cannot compare equal.
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

export async function putShard (store: ShardStore, cid: string, index: number, bytes: Uint8Array, writeSize = 64 * 1024): Promise<void> {
  const writer = await store.createShardWriter(bytes.byteLength)
  for (let offset = 0; offset < bytes.byteLength; offset += writeSize) {
    await writer.write(bytes.subarray(offset, offset + writeSize))
  }
  await writer.commit(cid, index)
}

const BAD_CIDS: unknown[] = [
  '', '../../etc/passwd', 'bafkrei/../../x', testCid('a').toUpperCase(), 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG',
  'b' + 'a'.repeat(19), 'b' + 'a'.repeat(121), testCid('a') + '.0', testCid('a').slice(0, -1) + '1', ` ${testCid('a')}`, 42, undefined
]
const BAD_INDEXES: unknown[] = [-1, 256, 1.5, NaN, Infinity, '1', undefined]

export function runShardStoreCompliance (name: string, factory: ShardStoreFactory): void {
  async function withStore (options: ShardStoreFactoryOptions, fn: (store: ShardStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await factory(options)
    try {
      await store.start()
      await fn(store)
      await store.stop()
    } finally {
      await cleanup()
    }
  }

  const A = testCid('aaaa')
  const B = testCid('bbbb')
  const C = testCid('cccc')

  describe(`ShardStore compliance: ${name}`, () => {
    describe('manifests', () => {
      it('round-trips, lists, replaces and deletes manifests', async () => withStore({}, async store => {
        assert.equal(await store.getManifest(A), undefined)
        assert.equal(await store.hasManifest(A), false)
        await store.putManifest(B, pattern(100, 2))
        await store.putManifest(A, pattern(10, 1))
        await store.putManifest(A, pattern(10, 1)) // idempotent
        assert.deepEqual(await store.getManifest(A), pattern(10, 1))
        assert.equal(await store.hasManifest(A), true)
        assert.deepEqual(await store.listManifests(), [A, B])
        assert.equal((await store.stats()).manifests, 2)
        assert.equal((await store.stats()).bytes, 110)

        await store.putManifest(A, pattern(20, 3))
        assert.deepEqual(await store.getManifest(A), pattern(20, 3))
        assert.equal((await store.stats()).bytes, 120)

        await store.deleteManifest(A)
        await store.deleteManifest(A) // missing: no error
        assert.equal(await store.getManifest(A), undefined)
        assert.deepEqual(await store.listManifests(), [B])
        assert.deepEqual(await store.stats(), { shards: 0, manifests: 1, bytes: 100, reservedBytes: 0, capacity: null, freeBytes: Infinity })
      }))

      it('stores a copy of the manifest bytes', async () => withStore({}, async store => {
        const bytes = pattern(16)
        await store.putManifest(A, bytes)
        bytes.fill(0)
        assert.deepEqual(await store.getManifest(A), pattern(16))
      }))

      it('rejects invalid cids with ERR_INVALID_ID', async () => withStore({}, async store => {
        for (const bad of BAD_CIDS) {
          const cid = bad as string
          await assert.rejects(store.putManifest(cid, new Uint8Array(1)), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.getManifest(cid), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.hasManifest(cid), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.deleteManifest(cid), { code: 'ERR_INVALID_ID' }, String(bad))
        }
        assert.deepEqual(await store.listManifests(), [])
      }))

      it('counts manifests against the capacity', async () => withStore({ capacity: 100 }, async store => {
        await store.putManifest(A, new Uint8Array(60))
        await assert.rejects(store.putManifest(B, new Uint8Array(41)), { code: 'ERR_STORE_FULL' })
        await store.putManifest(A, new Uint8Array(90)) // replacing needs only the difference
        assert.equal((await store.stats()).freeBytes, 10)
        assert.equal(await store.hasManifest(B), false)
      }))
    })

    describe('shards', () => {
      for (const size of [0, 1, 300_001]) {
        it(`round-trips a ${size}-byte shard`, async () => withStore({}, async store => {
          const bytes = pattern(size, size + 7)
          await putShard(store, A, 3, bytes, 70_000)
          assert.deepEqual(await readAll(store.readShard(A, 3, { chunkSize: 65_536 })), bytes)
          assert.equal(await store.shardSize(A, 3), size)
          assert.deepEqual(await store.listShards(), [{ cid: A, index: 3, size }])
        }))
      }

      it('yields chunks of at most chunkSize, 1 MiB by default', async () => withStore({}, async store => {
        const bytes = pattern(2.5 * 1024 * 1024)
        await putShard(store, A, 0, bytes, 1000 * 1000)
        const defaults: Uint8Array[] = []
        for await (const chunk of store.readShard(A, 0)) defaults.push(chunk)
        assert.deepEqual(defaults.map(c => c.byteLength), [1048576, 1048576, 524288])
        assert.deepEqual(Buffer.concat(defaults), Buffer.from(bytes))

        const small: Uint8Array[] = []
        for await (const chunk of store.readShard(A, 0, { chunkSize: 100_000, offset: 5, length: 1_000_000 })) small.push(chunk)
        assert.ok(small.every(c => c.byteLength <= 100_000 && c.byteLength > 0))
        assert.equal(small.length, 10)
        assert.deepEqual(Buffer.concat(small), Buffer.from(bytes.subarray(5, 1_000_005)))
        // chunks are independent buffers: keeping one while reading on must not see it change
        assert.deepEqual(small[0], bytes.subarray(5, 100_005))

        await assert.rejects(readAll(store.readShard(A, 0, { chunkSize: 0 })), { code: 'ERR_INVALID_PARAMETERS' })
      }))

      it('reads byte ranges and refuses ranges outside the shard', async () => withStore({}, async store => {
        const bytes = pattern(1000)
        await putShard(store, A, 1, bytes, 333)
        const read = async (options: { offset?: number, length?: number }): Promise<Uint8Array> => readAll(store.readShard(A, 1, { ...options, chunkSize: 64 }))
        assert.deepEqual(await read({ offset: 100 }), bytes.subarray(100))
        assert.deepEqual(await read({ length: 10 }), bytes.subarray(0, 10))
        assert.deepEqual(await read({ offset: 990, length: 10 }), bytes.subarray(990))
        assert.deepEqual(await read({ offset: 1000 }), new Uint8Array(0))
        assert.deepEqual(await read({ offset: 500, length: 0 }), new Uint8Array(0))
        for (const range of [{ offset: 1001 }, { offset: 990, length: 11 }, { offset: -1 }, { length: -1 }, { offset: 1.5 }, { length: 1001 }, { offset: NaN }]) {
          await assert.rejects(read(range), { code: 'ERR_INVALID_RANGE' }, JSON.stringify(range))
        }
      }))

      it('reports a missing shard as ERR_NOT_FOUND', async () => withStore({}, async store => {
        await putShard(store, A, 0, pattern(10))
        await assert.rejects(readAll(store.readShard(A, 1)), { code: 'ERR_NOT_FOUND' })
        await assert.rejects(readAll(store.readShard(B, 0)), { code: 'ERR_NOT_FOUND' })
        assert.equal(await store.shardSize(A, 1), undefined)
        assert.deepEqual(await store.listShards(B), [])
        await store.deleteShard(B, 0) // missing: no error
        await assert.rejects(store.quarantineShard(B, 0, 'test'), { code: 'ERR_NOT_FOUND' })
      }))

      it('rejects invalid cids and indexes with ERR_INVALID_ID', async () => withStore({}, async store => {
        for (const bad of BAD_CIDS) {
          const cid = bad as string
          await assert.rejects(readAll(store.readShard(cid, 0)), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.shardSize(cid, 0), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.deleteShard(cid, 0), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.quarantineShard(cid, 0, 'x'), { code: 'ERR_INVALID_ID' }, String(bad))
          if (bad !== undefined) await assert.rejects(store.listShards(cid), { code: 'ERR_INVALID_ID' }, String(bad))
          const writer = await store.createShardWriter(1)
          await writer.write(new Uint8Array(1))
          await assert.rejects(writer.commit(cid, 0), { code: 'ERR_INVALID_ID' }, String(bad))
        }
        for (const bad of BAD_INDEXES) {
          const index = bad as number
          await assert.rejects(readAll(store.readShard(A, index)), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.shardSize(A, index), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.deleteShard(A, index), { code: 'ERR_INVALID_ID' }, String(bad))
          await assert.rejects(store.quarantineShard(A, index, 'x'), { code: 'ERR_INVALID_ID' }, String(bad))
          const writer = await store.createShardWriter(0)
          await assert.rejects(writer.commit(A, index), { code: 'ERR_INVALID_ID' }, String(bad))
        }
        // a failed commit aborts the writer: nothing stored, nothing reserved
        assert.deepEqual(await store.listShards(), [])
        assert.deepEqual(await store.stats(), { shards: 0, manifests: 0, bytes: 0, reservedBytes: 0, capacity: null, freeBytes: Infinity })
        // the bounds themselves are valid
        await putShard(store, A, 0, pattern(1))
        await putShard(store, A, 255, pattern(1))
        assert.deepEqual((await store.listShards(A)).map(r => r.index), [0, 255])
      }))

      it('rejects an invalid expectedSize', async () => withStore({}, async store => {
        for (const bad of [-1, 1.5, NaN, Infinity]) {
          await assert.rejects(store.createShardWriter(bad), { code: 'ERR_INVALID_PARAMETERS' }, String(bad))
        }
      }))

      it('honours an AbortSignal', async () => withStore({}, async store => {
        await putShard(store, A, 0, pattern(1000))
        const before = new AbortController()
        before.abort()
        await assert.rejects(readAll(store.readShard(A, 0, { signal: before.signal })), { code: 'ERR_ABORTED' })

        const during = new AbortController()
        const chunks: Uint8Array[] = []
        await assert.rejects((async () => {
          for await (const chunk of store.readShard(A, 0, { chunkSize: 100, signal: during.signal })) {
            chunks.push(chunk)
            if (chunks.length === 2) during.abort()
          }
        })(), { code: 'ERR_ABORTED' })
        assert.equal(chunks.length, 2)
      }))

      it('keeps write order when writes are not awaited one by one, and copies written data', async () => withStore({}, async store => {
        const bytes = pattern(30_000)
        const writer = await store.createShardWriter(bytes.byteLength)
        const chunk = bytes.slice(20_000)
        await Promise.all([writer.write(bytes.subarray(0, 10_000)), writer.write(bytes.subarray(10_000, 20_000)), writer.write(chunk)])
        chunk.fill(0) // the write resolved: the caller may reuse the buffer
        await writer.commit(A, 0)
        assert.deepEqual(await readAll(store.readShard(A, 0)), bytes)
      }))
    })

    describe('writers', () => {
      it('refuses to write more than expectedSize and aborts the writer', async () => withStore({ capacity: 1000 }, async store => {
        const writer = await store.createShardWriter(10)
        await writer.write(new Uint8Array(6))
        await assert.rejects(writer.write(new Uint8Array(5)), { code: 'ERR_SIZE_MISMATCH' })
        assert.equal((await store.stats()).reservedBytes, 0)
        await assert.rejects(writer.write(new Uint8Array(1)), { code: 'ERR_WRITER_CLOSED' })
        await assert.rejects(writer.commit(A, 0), { code: 'ERR_WRITER_CLOSED' })
        await writer.abort()
        assert.deepEqual(await store.listShards(), [])
      }))

      it('refuses to commit fewer bytes than expectedSize', async () => withStore({}, async store => {
        const writer = await store.createShardWriter(10)
        await writer.write(new Uint8Array(9))
        await assert.rejects(writer.commit(A, 0), { code: 'ERR_SIZE_MISMATCH' })
        assert.equal(await store.shardSize(A, 0), undefined)
        await assert.rejects(readAll(store.readShard(A, 0)), { code: 'ERR_NOT_FOUND' })
        assert.equal((await store.stats()).reservedBytes, 0)
        await writer.abort()
      }))

      it('abort leaves nothing behind and is idempotent; abort after commit is a no-op', async () => withStore({}, async store => {
        const writer = await store.createShardWriter(100)
        await writer.write(pattern(50))
        assert.equal((await store.stats()).reservedBytes, 100)
        await writer.abort()
        await writer.abort()
        assert.deepEqual(await store.listShards(), [])
        assert.deepEqual(await store.stats(), { shards: 0, manifests: 0, bytes: 0, reservedBytes: 0, capacity: null, freeBytes: Infinity })
        await assert.rejects(writer.write(new Uint8Array(1)), { code: 'ERR_WRITER_CLOSED' })

        const committed = await store.createShardWriter(3)
        await committed.write(pattern(3))
        await committed.commit(A, 0)
        await committed.abort()
        await assert.rejects(committed.commit(A, 1), { code: 'ERR_WRITER_CLOSED' })
        assert.deepEqual(await readAll(store.readShard(A, 0)), pattern(3))
        assert.deepEqual(await store.stats(), { shards: 1, manifests: 0, bytes: 3, reservedBytes: 0, capacity: null, freeBytes: Infinity })
      }))

      it('commit replaces an existing copy and accounts for the old size', async () => withStore({ capacity: 1000 }, async store => {
        await putShard(store, A, 0, pattern(600, 1))
        await putShard(store, A, 0, pattern(300, 2))
        assert.deepEqual(await readAll(store.readShard(A, 0)), pattern(300, 2))
        assert.deepEqual(await store.stats(), { shards: 1, manifests: 0, bytes: 300, reservedBytes: 0, capacity: 1000, freeBytes: 700 })
        assert.deepEqual(await store.listShards(), [{ cid: A, index: 0, size: 300 }])
      }))

      it('concurrent commits of one shard leave exactly one copy, counted once', async () => withStore({}, async store => {
        const writers = await Promise.all([100, 200, 300].map(async size => {
          const writer = await store.createShardWriter(size)
          await writer.write(pattern(size, size))
          return writer
        }))
        await Promise.all([...writers.map(async w => { await w.commit(A, 7) }), putShard(store, A, 8, pattern(50))])
        const [ref] = await store.listShards(A)
        assert.equal(ref.index, 7)
        assert.ok([100, 200, 300].includes(ref.size))
        assert.deepEqual(await readAll(store.readShard(A, 7)), pattern(ref.size, ref.size))
        assert.deepEqual(await store.stats(), { shards: 2, manifests: 0, bytes: ref.size + 50, reservedBytes: 0, capacity: null, freeBytes: Infinity })
      }))

      it('stop() aborts open writers', async () => {
        const { store, cleanup } = await factory({})
        try {
          await store.start()
          const writer = await store.createShardWriter(10)
          await writer.write(new Uint8Array(5))
          await store.stop()
          await assert.rejects(writer.write(new Uint8Array(1)), { code: 'ERR_WRITER_CLOSED' })
          await assert.rejects(store.stats(), { code: 'ERR_STORE_NOT_STARTED' })
          await store.start()
          assert.deepEqual(await store.listShards(), [])
          assert.equal((await store.stats()).reservedBytes, 0)
          await store.stop()
        } finally {
          await cleanup()
        }
      })
    })

    describe('capacity', () => {
      it('counts open reservations, including concurrent ones', async () => withStore({ capacity: 1000 }, async store => {
        const results = await Promise.allSettled([1, 2, 3, 4, 5].map(async () => store.createShardWriter(300)))
        const writers = results.filter(r => r.status === 'fulfilled').map(r => (r as PromiseFulfilledResult<ShardWriter>).value)
        const refused = results.filter(r => r.status === 'rejected').map(r => (r as PromiseRejectedResult).reason)
        assert.equal(writers.length, 3)
        assert.equal(refused.length, 2)
        for (const err of refused) {
          assert.equal(err.code, 'ERR_STORE_FULL')
          assert.deepEqual(err.details, { needed: 300, free: 100 })
        }
        assert.deepEqual(await store.stats(), { shards: 0, manifests: 0, bytes: 0, reservedBytes: 900, capacity: 1000, freeBytes: 100 })

        // abort frees the reservation
        await writers[0].abort()
        const fourth = await store.createShardWriter(400)
        assert.equal((await store.stats()).freeBytes, 0)
        await assert.rejects(store.createShardWriter(1), { code: 'ERR_STORE_FULL' })
        assert.ok(await store.createShardWriter(0)) // a 0-byte shard always fits

        // commit turns the reservation into used bytes
        await writers[1].write(pattern(300))
        await writers[1].commit(A, 0)
        assert.deepEqual(await store.stats(), { shards: 1, manifests: 0, bytes: 300, reservedBytes: 700, capacity: 1000, freeBytes: 0 })
        await writers[2].abort()
        await fourth.abort()
        assert.equal((await store.stats()).freeBytes, 700)

        // delete frees used bytes
        await store.deleteShard(A, 0)
        assert.equal((await store.stats()).freeBytes, 1000)
        await (await store.createShardWriter(1000)).abort()
        await assert.rejects(store.createShardWriter(1001), { code: 'ERR_STORE_FULL' })
      }))

      it('reserves the full new size when replacing (the old copy is freed only at commit)', async () => withStore({ capacity: 1000 }, async store => {
        await putShard(store, A, 0, pattern(600))
        await assert.rejects(store.createShardWriter(500), { code: 'ERR_STORE_FULL' })
        await putShard(store, A, 0, pattern(400))
        assert.equal((await store.stats()).freeBytes, 600)
      }))
    })

    describe('ownership records', () => {
      it('stores, replaces, lists and removes a record per CID, apart from the bytes and their stats', async () => withStore({ capacity: 1000 }, async store => {
        assert.equal(await store.getOwnership(A), undefined)
        const record = ownershipOf(A, ['peerA', 'peerB'], ['peerA'])
        assert.deepEqual(await store.updateOwnership(A, current => { assert.equal(current, undefined); return record }), record)
        assert.deepEqual(await store.getOwnership(A), record)
        await store.updateOwnership(B, () => ({ ...ownershipOf(B, ['peerC']), purgeAt: 5 }))
        assert.deepEqual(await store.listOwnership(), [A, B])
        const seen = await store.updateOwnership(B, current => ({ ...(current as OwnershipRecord), purgedAt: 6 }))
        assert.deepEqual(seen, { ...ownershipOf(B, ['peerC']), purgeAt: 5, purgedAt: 6 })
        // A copy: changing what was read changes nothing stored.
        const read = await store.getOwnership(A) as OwnershipRecord
        read.owners.pop()
        assert.equal((await store.getOwnership(A))?.owners.length, 2)
        assert.equal(await store.updateOwnership(A, () => undefined), undefined)
        assert.deepEqual(await store.listOwnership(), [B])
        assert.deepEqual(await store.stats(), { shards: 0, manifests: 0, bytes: 0, reservedBytes: 0, capacity: 1000, freeBytes: 1000 })
      }))

      it('serializes concurrent updates of one CID (none is lost)', async () => withStore({}, async store => {
        await Promise.all(['p1', 'p2', 'p3', 'p4'].map(async (owner) => {
          await store.updateOwnership(A, current => ({ owners: [...(current?.owners ?? []), ...ownershipOf(A, [owner]).owners], tombstones: [] }))
        }))
        assert.deepEqual((await store.getOwnership(A))?.owners.map(o => o.owner).sort(), ['p1', 'p2', 'p3', 'p4'])
      }))

      it('refuses a malformed record or an invalid CID before anything changes', async () => withStore({}, async store => {
        await store.updateOwnership(A, () => ownershipOf(A, ['peerA']))
        await assert.rejects(store.updateOwnership(A, () => ownershipOf(B, ['peerB'])), { code: 'ERR_PROTOCOL' })
        await assert.rejects(store.updateOwnership(A, () => ({ owners: [{ cid: A, owner: 'x', issuedAt: -1, signature: pattern(64) }], tombstones: [] })), { code: 'ERR_PROTOCOL' })
        assert.deepEqual(await store.getOwnership(A), ownershipOf(A, ['peerA']))
        for (const cid of BAD_CIDS) await assert.rejects(store.updateOwnership(cid as string, () => ownershipOf(A, ['x'])), { code: 'ERR_INVALID_ID' })
      }))
    })

    describe('delete, quarantine, listing, stats', () => {
      it('deletes one shard and keeps the others', async () => withStore({}, async store => {
        await putShard(store, A, 0, pattern(10))
        await putShard(store, A, 1, pattern(20))
        await store.deleteShard(A, 0)
        await store.deleteShard(A, 0)
        assert.deepEqual(await store.listShards(), [{ cid: A, index: 1, size: 20 }])
        await assert.rejects(readAll(store.readShard(A, 0)), { code: 'ERR_NOT_FOUND' })
        await store.deleteShard(A, 1)
        assert.deepEqual(await store.listShards(), [])
        assert.deepEqual(await store.stats(), { shards: 0, manifests: 0, bytes: 0, reservedBytes: 0, capacity: null, freeBytes: Infinity })
        await putShard(store, A, 1, pattern(5)) // the cid can be stored again
        assert.deepEqual(await store.listShards(), [{ cid: A, index: 1, size: 5 }])
      }))

      it('quarantine takes a shard out of the served set', async () => withStore({}, async store => {
        await putShard(store, A, 0, pattern(10))
        await putShard(store, A, 1, pattern(20))
        await store.quarantineShard(A, 1, 'block 0 hash mismatch')
        assert.deepEqual(await store.listShards(), [{ cid: A, index: 0, size: 10 }])
        assert.equal(await store.shardSize(A, 1), undefined)
        await assert.rejects(readAll(store.readShard(A, 1)), { code: 'ERR_NOT_FOUND' })
        assert.deepEqual(await store.stats(), { shards: 1, manifests: 0, bytes: 10, reservedBytes: 0, capacity: null, freeBytes: Infinity })
        await assert.rejects(store.quarantineShard(A, 1, 'again'), { code: 'ERR_NOT_FOUND' })
        // a repaired copy can be committed in its place
        await putShard(store, A, 1, pattern(20, 9))
        assert.deepEqual(await readAll(store.readShard(A, 1)), pattern(20, 9))
        await store.quarantineShard(A, 1, 'second time')
        assert.equal(await store.shardSize(A, 1), undefined)
      }))

      it('lists shards sorted by cid then numeric index', async () => withStore({}, async store => {
        for (const [cid, index] of [[C, 2], [A, 10], [B, 0], [A, 2], [A, 1], [C, 100], [C, 9]] as Array<[string, number]>) {
          await putShard(store, cid, index, pattern(index + 1))
        }
        const all = await store.listShards()
        assert.deepEqual(all.map(r => [r.cid, r.index]), [[A, 1], [A, 2], [A, 10], [B, 0], [C, 2], [C, 9], [C, 100]])
        assert.ok(all.every(r => r.size === r.index + 1))
        assert.deepEqual((await store.listShards(C)).map(r => r.index), [2, 9, 100])
      }))

      it('keeps stats counters in step with every operation', async () => withStore({ capacity: 10_000 }, async store => {
        const expect = async (shards: number, manifests: number, bytes: number, reservedBytes = 0): Promise<void> => {
          assert.deepEqual(await store.stats(), { shards, manifests, bytes, reservedBytes, capacity: 10_000, freeBytes: 10_000 - bytes - reservedBytes })
        }
        await expect(0, 0, 0)
        await store.putManifest(A, new Uint8Array(100))
        await expect(0, 1, 100)
        await putShard(store, A, 0, pattern(1000))
        await putShard(store, A, 1, pattern(2000))
        await putShard(store, B, 0, pattern(500))
        await expect(3, 1, 3600)
        const writer = await store.createShardWriter(700)
        await expect(3, 1, 3600, 700)
        await writer.abort()
        await store.deleteShard(A, 1)
        await expect(2, 1, 1600)
        await store.quarantineShard(B, 0, 'test')
        await expect(1, 1, 1100)
        await store.deleteManifest(A)
        await expect(1, 0, 1000)
        const listed = await store.listShards()
        assert.equal(listed.reduce((sum, r) => sum + r.size, 0), 1000)
      }))
    })
  })
}
