// What every long coder operation promises besides its result: it stops on an AbortSignal (ERR_ABORTED, without
// reading the rest of its input), reports progress, and checks an announced size.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCodec } from '../../coder/codecs.ts'
import { decodeFile } from '../../coder/decoder.ts'
import { encodeFile } from '../../coder/encoder.ts'
import type { ProgressEvent } from '../../coder/progress.ts'
import { FileShardSource } from '../../bench/shard-files.ts'
import { chunked, decodeFromDir, encodeGenerated, encodeToDir, pseudoRandomBytes, withTempDir } from './helpers.ts'

const BLOCK_SIZE = 4096
const STRIPES = 20
const SIZE = STRIPES * 4 * BLOCK_SIZE

/** Counts the chunks taken from `source`, so a test can tell the encoder stopped reading. */
function counted (source: AsyncIterable<Uint8Array>): { source: AsyncIterable<Uint8Array>, taken: () => number } {
  let taken = 0
  return {
    source: (async function * () { for await (const chunk of source) { taken++; yield chunk } })(),
    taken: () => taken
  }
}

describe('abort', () => {
  it('encodeFile stops with ERR_ABORTED when the signal fires mid-file, and reads no further', async () => {
    const codec = await createCodec('rs-wasm-1', 4, 2)
    const controller = new AbortController()
    const input = counted(chunked(pseudoRandomBytes(1, SIZE), 4 * BLOCK_SIZE))
    let stripes = 0
    await assert.rejects(encodeFile(input.source, { codec, blockSize: BLOCK_SIZE, signal: controller.signal }, async () => {
      if (++stripes === 2) controller.abort()
    }), { code: 'ERR_ABORTED', name: 'AbortedError' })
    assert.equal(stripes, 2, 'no stripe delivered after the abort')
    // The encoder runs `depth` (2) stripes ahead of the sink, and the stripe reader holds one chunk: at most 5 read.
    assert.ok(input.taken() <= 5, `read ${input.taken()} of ${STRIPES} chunks after aborting`)
  })

  it('encodeFile refuses to start with an aborted signal', async () => {
    const codec = await createCodec('rs-wasm-1', 4, 2)
    await assert.rejects(encodeFile(chunked(pseudoRandomBytes(1, 100)), { codec, signal: AbortSignal.abort() }, async () => {
      assert.fail('no stripe may be delivered')
    }), { code: 'ERR_ABORTED' })
  })

  it('decodeFile stops with ERR_ABORTED when the signal fires mid-file, and reads no further than one stripe ahead', async () => {
    await withTempDir(async dir => {
      const { result } = await encodeGenerated(dir, 'rs-wasm-1', 4, 2, SIZE, BLOCK_SIZE)
      const files = new FileShardSource(dir, BLOCK_SIZE)
      const controller = new AbortController()
      const stripesRead = new Set<number>()
      let chunks = 0
      try {
        await assert.rejects(decodeFile(result.manifest, {
          readBlock: async (index, stripe, size) => {
            stripesRead.add(stripe)
            return await files.readBlock(index, stripe, size)
          }
        }, async () => {
          if (++chunks === 4) controller.abort() // the 4th chunk is the last block of stripe 0
        }, { signal: controller.signal }), { code: 'ERR_ABORTED' })
      } finally {
        await files.close()
      }
      assert.equal(chunks, 4, 'nothing handed on after the abort')
      // Stripe s + 1 is gathered while stripe s is handed on (coder/decoder.ts), so stripe 1 may have been read.
      assert.deepEqual([...stripesRead].filter(s => s > 1), [])
    })
  })

  it('decodeFile refuses to start with an aborted signal', async () => {
    await withTempDir(async dir => {
      const { result } = await encodeGenerated(dir, 'rs-wasm-1', 4, 2, SIZE, BLOCK_SIZE)
      await assert.rejects(decodeFromDir(dir, result.manifest, { signal: AbortSignal.abort() }), { code: 'ERR_ABORTED' })
    })
  })
})

describe('progress and announced size', () => {
  it('reports progress per stripe, ending at the file size, for encode and decode', async () => {
    await withTempDir(async dir => {
      const size = SIZE - 1000
      const codec = await createCodec('rs-wasm-1', 4, 2)
      const encodeEvents: ProgressEvent[] = []
      const { manifest } = await encodeToDir(dir, chunked(pseudoRandomBytes(2, size)), {
        codec, blockSize: BLOCK_SIZE, expectedSize: size, onProgress: e => encodeEvents.push(e)
      })
      const decodeEvents: ProgressEvent[] = []
      await decodeFromDir(dir, manifest, { onProgress: e => decodeEvents.push(e) })
      for (const [phase, events] of [['encode', encodeEvents], ['decode', decodeEvents]] as const) {
        assert.equal(events.length, STRIPES, phase)
        assert.ok(events.every(e => e.phase === phase && e.total === size), phase)
        assert.ok(events.every((e, i) => i === 0 || e.bytes > events[i - 1].bytes), `${phase} progress increases`)
        assert.equal(events.at(-1)?.bytes, size, phase)
      }
    })
  })

  it('refuses input shorter or longer than announced: ERR_SIZE_MISMATCH', async () => {
    const codec = await createCodec('rs-wasm-1', 4, 2)
    for (const expectedSize of [999, 1001]) {
      await assert.rejects(encodeFile(chunked(pseudoRandomBytes(3, 1000)), { codec, expectedSize }, async () => {}), (err: Error & { code?: string, details?: Record<string, unknown> }) => {
        assert.equal(err.code, 'ERR_SIZE_MISMATCH')
        assert.deepEqual(err.details, { actual: 1000, expected: expectedSize })
        return true
      })
    }
  })

  it('gives the same shards and manifest whatever the encoder depth and the input chunking', async () => {
    const codec = await createCodec('rs-wasm-1', 4, 2)
    const data = pseudoRandomBytes(4, SIZE + 77)
    const cids = new Set<string>()
    for (const [depth, chunkSize] of [[1, 1], [2, 4096], [5, 1000], [2, SIZE + 77]]) {
      if (chunkSize === 1 && depth === 1) {
        // 1-byte chunks over a smaller file: the stripe reader's slow path, kept short.
        const small = await encodeFile(chunked(data.subarray(0, 5000), 1), { codec, blockSize: BLOCK_SIZE, depth }, async () => {})
        const whole = await encodeFile(chunked(data.subarray(0, 5000), 5000), { codec, blockSize: BLOCK_SIZE }, async () => {})
        assert.equal(small.cid, whole.cid)
        continue
      }
      cids.add((await encodeFile(chunked(data, chunkSize), { codec, blockSize: BLOCK_SIZE, depth }, async () => {})).cid)
    }
    assert.equal(cids.size, 1)
  })
})
