// An open file as a FillSource (coder/stripe-reader.ts): the encoder's stripe buffers are read into directly, one
// read(2) per stripe, where a read stream allocates a chunk per read and the striper copies it again.
import type { FileHandle } from 'node:fs/promises'
import type { FillSource } from '../coder/stripe-reader.ts'

/** Reads `handle` from its current position on; the caller keeps it open for as long as the source is read. */
export function fileFillSource (handle: FileHandle): FillSource {
  return {
    async readInto (target: Uint8Array): Promise<number> {
      let filled = 0
      while (filled < target.byteLength) {
        const { bytesRead } = await handle.read(target, filled, target.byteLength - filled, null)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      return filled
    }
  }
}
