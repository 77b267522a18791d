// Blocks of a stored shard, each read whole: what a holder serves, what a fetch reads from its own store, and what
// the scrubber re-hashes. The store may hand bytes back in chunks of any size; anything but exactly a block's size is
// an error (ERR_STORE_CORRUPT: a torn or swapped file, which the caller quarantines), never a short block.
import { blockOffset, stripeBlockSize, type Geometry } from '../../coder/layout.ts'
import { StoreCorruptError } from './errors.ts'
import type { ShardStore } from './shard-store.ts'

/**
 * Blocks `from` .. `to` - 1 of a shard, in order, through one open file: a holder serving a whole shard once opened,
 * stat'ed and closed it per block, and copied every block out of a second zero-filled buffer. A chunk that is
 * exactly the block (what FsShardStore returns when asked for block-sized chunks) is handed on as it is.
 */
export async function * readStoredBlocks (store: ShardStore, cid: string, index: number, geometry: Geometry, from: number, to: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (from >= to) return
  const offset = blockOffset(geometry, from)
  const length = blockOffset(geometry, to - 1) + stripeBlockSize(geometry, to - 1) - offset
  let stripe = from
  let block: Uint8Array | undefined
  let filled = 0
  try {
    for await (let chunk of store.readShard(cid, index, { offset, length, chunkSize: geometry.blockSize, signal })) {
      while (chunk.byteLength > 0) {
        if (stripe >= to) throw new StoreCorruptError('store returned more bytes than asked for', { cid, index })
        const size = stripeBlockSize(geometry, stripe)
        if (block === undefined && chunk.byteLength === size) {
          stripe++
          yield chunk
          break
        }
        block ??= new Uint8Array(size)
        const n = Math.min(size - filled, chunk.byteLength)
        block.set(chunk.subarray(0, n), filled)
        filled += n
        chunk = chunk.subarray(n)
        if (filled === size) {
          const whole = block
          block = undefined
          filled = 0
          stripe++
          yield whole
        }
      }
    }
  } catch (err) {
    // The range comes from the manifest's geometry: a shard too short for it is a bad shard, not a bad request.
    if ((err as { code?: unknown }).code === 'ERR_INVALID_RANGE') throw new StoreCorruptError(`shard ${cid}/${index} is shorter than its geometry: ${(err as Error).message}`, { cid, index })
    throw err
  }
  if (stripe !== to || block !== undefined) throw new StoreCorruptError(`store returned too few bytes: blocks ${from}..${to - 1} wanted, ${stripe - from} whole`, { cid, index })
}

/** One block of a shard. */
export async function readStoredBlock (store: ShardStore, cid: string, index: number, geometry: Geometry, stripe: number, signal?: AbortSignal): Promise<Uint8Array> {
  for await (const block of readStoredBlocks(store, cid, index, geometry, stripe, stripe + 1, signal)) return block
  throw new StoreCorruptError(`store returned no block ${stripe}`, { cid, index })
}
