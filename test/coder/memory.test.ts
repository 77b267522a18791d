// Memory stays bounded whatever the file size: encode a 1 GiB generated stream to shard files (RS(4,2), default
// 1 MiB blocks) and decode it back with a data shard lost, never holding more than a few stripes. The bound is on
// peak RSS growth, never on time. Alone in its file, so the process's peak RSS belongs to this test.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { it } from 'node:test'
import { createCodec } from '../../coder/codecs.ts'
import { DEFAULT_BLOCK_SIZE } from '../../coder/constants.ts'
import { decodeFile } from '../../coder/decoder.ts'
import { pseudoRandomStream } from '../../bench/pseudo-random.ts'
import { FileShardSource, shardPath } from '../../bench/shard-files.ts'
import { encodeToDir, lossReport, withTempDir } from './helpers.ts'

const FILE_SIZE = 1024 * 1024 * 1024
const MiB = 1024 * 1024
/** RS(4,2) at 1 MiB blocks is 6 MiB per stripe; the encoder keeps 2 stripes in flight plus one being filled, the
 *  decoder one stripe plus its reconstruction buffers. Measured on the 2-core dev machine: 96-107 MiB peak growth
 *  for the encode, 119-153 MiB for encode + decode (garbage-collector slack over ~1,000 stripe buffers, and a fresh
 *  rs-wasm instance per reconstruct). Holding a fifth of the file, or leaking anything per stripe, would exceed it. */
const MAX_RSS_GROWTH = 200 * MiB

/** Tracks peak RSS: sampled every 10 ms while the test runs, and the kernel's own peak (maxRSS) at the end. */
function rssTracker (): { peak: () => number, stop: () => void } {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 10)
  return {
    peak: () => Math.max(peak, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024),
    stop: () => { clearInterval(timer) }
  }
}

it('encodes and decodes 1 GiB with bounded memory', async () => {
  await withTempDir(async dir => {
    const codec = await createCodec('rs-wasm-1', 4, 2)
    const before = process.memoryUsage.rss()
    const tracker = rssTracker()
    try {
      const inputHash = createHash('sha256')
      async function * hashed (): AsyncGenerator<Uint8Array> {
        for await (const chunk of pseudoRandomStream(42, FILE_SIZE)) {
          inputHash.update(chunk)
          yield chunk
        }
      }
      const { manifest } = await encodeToDir(dir, hashed(), { codec, blockSize: DEFAULT_BLOCK_SIZE, expectedSize: FILE_SIZE })
      const expected = inputHash.digest('hex')
      assert.equal(Buffer.from(manifest.fileHash).toString('hex'), expected)
      const afterEncode = tracker.peak()

      await rm(shardPath(dir, 0)) // every stripe must be reconstructed
      const outputHash = createHash('sha256')
      let outputBytes = 0
      const source = new FileShardSource(dir, manifest.blockSize)
      let report
      try {
        report = await decodeFile(manifest, source, async chunk => {
          outputHash.update(chunk)
          outputBytes += chunk.byteLength
        })
      } finally {
        await source.close()
      }
      assert.deepEqual(lossReport(report), { missing: [0], corrupt: [], rebuilt: [0] })
      assert.equal(outputBytes, FILE_SIZE)
      assert.equal(outputHash.digest('hex'), expected)

      const growth = tracker.peak() - before
      const encodeGrowth = afterEncode - before
      process.stderr.write(`# memory: RSS before ${(before / MiB).toFixed(0)} MiB, peak growth encode ${(encodeGrowth / MiB).toFixed(0)} MiB, encode + decode ${(growth / MiB).toFixed(0)} MiB\n`)
      assert.ok(growth < MAX_RSS_GROWTH, `peak RSS grew by ${(growth / MiB).toFixed(0)} MiB (bound ${MAX_RSS_GROWTH / MiB} MiB)`)
    } finally {
      tracker.stop()
    }
  })
})
