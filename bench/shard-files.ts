// Shards as plain files in one directory (shard i is block i of every stripe, in order): the encode sink that writes
// them and the ShardSource that reads them back. The coder benchmark and the coder tests both use these, so the
// pipeline they measure and the one they test is the same code. No fsync: the benchmark measures the coder and the
// page cache, not the disk's flush latency (the node's FsShardStore does the crash-safe writes).
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShardSource } from '../coder/decoder.ts'
import type { EncodedStripe, StripeSink } from '../coder/encoder.ts'

export function shardPath (dir: string, index: number): string {
  return join(dir, `shard-${index}`)
}

/** A sink that writes every block at its offset in its shard's file. Call close() once encoding has ended. */
export function shardFileWriter (dir: string, shardCount: number): { sink: StripeSink, close: () => Promise<void> } {
  const handles: Array<Promise<FileHandle>> = Array.from({ length: shardCount }, (_, i) => open(shardPath(dir, i), 'w'))
  // Stripes arrive in order and each but the last has the full block size, so the offset is the running total.
  let offset = 0
  return {
    sink: async (stripe: EncodedStripe) => {
      const position = offset
      offset += stripe.blockSize
      await Promise.all(stripe.blocks.map(async (block, i) => { await writeAll(await handles[i], block, position) }))
    },
    close: async () => {
      const results = await Promise.allSettled(handles.map(async h => { await (await h).close() }))
      const failed = results.find(r => r.status === 'rejected')
      if (failed != null) throw (failed as PromiseRejectedResult).reason
    }
  }
}

/** Reads block `stripe` of shard `index` from `dir` (full stripes are `blockSize` apart). A missing file is a missing
 *  shard; a short file yields a short block, which the decoder rejects as corrupt. */
export class FileShardSource implements ShardSource {
  /** Every (shard, stripe) the decoder reported as failing its hash, in report order. */
  readonly reported: Array<[number, number]> = []
  private readonly handles = new Map<number, Promise<FileHandle | null>>()

  constructor (private readonly dir: string, private readonly blockSize: number) {}

  async readBlock (index: number, stripe: number, size: number): Promise<Uint8Array | null> {
    let handle = this.handles.get(index)
    if (handle === undefined) {
      handle = open(shardPath(this.dir, index), 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null
        throw err
      })
      this.handles.set(index, handle)
    }
    const file = await handle
    if (file == null) return null
    const block = new Uint8Array(size)
    let filled = 0
    while (filled < size) {
      const { bytesRead } = await file.read(block, filled, size - filled, stripe * this.blockSize + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return filled === size ? block : block.subarray(0, filled)
  }

  /** One copy per shard: nothing else to try. */
  reportCorrupt (index: number, stripe: number): boolean {
    this.reported.push([index, stripe])
    return false
  }

  async close (): Promise<void> {
    for (const handle of this.handles.values()) await (await handle)?.close()
    this.handles.clear()
  }
}

async function writeAll (file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0
  while (written < bytes.byteLength) {
    const result = await file.write(bytes, written, bytes.byteLength - written, position + written)
    written += result.bytesWritten
  }
}
