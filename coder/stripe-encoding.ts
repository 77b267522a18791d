// Encoding one stripe, the same code wherever it runs (this thread, or the encode worker, coder/encode-worker.ts):
// parity from the data blocks, the stripe's file bytes into the running whole-file hash, and every block's SHA-256.
import type { Hash } from 'node:crypto'
import type { Codec } from './codec.ts'
import { HASH_LENGTH } from './constants.ts'
import { sha256 } from './hash.ts'
import { REPLICA_CODEC_ID } from './replica-codec.ts'

/**
 * Encode `blocks` (k data then m zeroed parity, views into one buffer with the data first, as readStripes makes them)
 * in place; the first `dataBytes` bytes of the buffer are file bytes and go into `fileHash`. Returns the k + m block
 * hashes packed into one array.
 */
export async function encodeStripeInPlace (codec: Codec, blocks: Uint8Array[], dataBytes: number, fileHash: Hash): Promise<Uint8Array> {
  const first = blocks[0]
  fileHash.update(new Uint8Array(first.buffer, first.byteOffset, dataBytes))
  if (codec.m > 0) await codec.encode(blocks)
  const hashes = new Uint8Array(blocks.length * HASH_LENGTH)
  if (codec.id === REPLICA_CODEC_ID) {
    // Every copy is the data block: one hash serves them all (a third of the hashing for x3).
    const hash = sha256(first)
    for (let i = 0; i < blocks.length; i++) hashes.set(hash, i * HASH_LENGTH)
  } else {
    blocks.forEach((block, i) => { hashes.set(sha256(block), i * HASH_LENGTH) })
  }
  return hashes
}
