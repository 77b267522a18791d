// One block of a stored shard, read whole: what a holder serves and what the scrubber re-hashes. The store may
// hand it back in chunks; anything but exactly `size` bytes is an error (a torn or swapped file), never a short block.
import { blockOffset, stripeBlockSize, type Geometry } from '../../coder/layout.ts'
import { ProtocolError } from '../errors.ts'
import type { ShardStore } from './shard-store.ts'

export async function readStoredBlock (store: ShardStore, cid: string, index: number, geometry: Geometry, stripe: number, signal?: AbortSignal): Promise<Uint8Array> {
  const size = stripeBlockSize(geometry, stripe)
  const out = new Uint8Array(size)
  let offset = 0
  for await (const chunk of store.readShard(cid, index, { offset: blockOffset(geometry, stripe), length: size, chunkSize: size, signal })) {
    if (offset + chunk.byteLength > size) throw new ProtocolError('store returned more bytes than asked for')
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  if (offset !== size) throw new ProtocolError(`store returned ${offset} bytes, expected ${size}`)
  return out
}
