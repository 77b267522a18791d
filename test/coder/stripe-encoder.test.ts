// The encode worker against encoding on this thread: the same manifest, CID and blocks for every codec and size edge,
// concurrent files kept apart (each has its own whole-file hash), and a failure in the worker reaching the caller
// with its error code.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { tmpdir } from 'node:os'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { createCodec, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { encodeFile, type EncodedStripe } from '../../coder/encoder.ts'
import { readStripes } from '../../coder/stripe-reader.ts'
import { WorkerStripeEncoder } from '../../coder/stripe-encoder.ts'
import { chunked, codecCases, pseudoRandomBytes } from './helpers.ts'

const BLOCK = 4096

async function encodeBoth (id: string, k: number, m: number, data: Uint8Array): Promise<Array<{ cid: string, blocks: Uint8Array[] }>> {
  const codec = await createCodec(id, k, m)
  return await Promise.all([false, true].map(async (offload) => {
    const blocks: Uint8Array[] = []
    const sink = async (stripe: EncodedStripe): Promise<void> => { blocks.push(...stripe.blocks.map(b => b.slice())) }
    const { cid } = await encodeFile(chunked(data, 1000), { codec, blockSize: BLOCK, offload }, sink)
    return { cid, blocks }
  }))
}

describe('encode worker', () => {
  for (const c of codecCases([[1, 2], [4, 2], [10, 4]])) {
    it(`${c.label}: same CID and blocks as this thread, at every size edge`, { skip: c.skip }, async () => {
      for (const size of [0, 1, c.k * BLOCK - 1, c.k * BLOCK, 3 * c.k * BLOCK + 17]) {
        const [inline, worker] = await encodeBoth(c.id, c.k, c.m, pseudoRandomBytes(size + 1, size))
        assert.equal(worker.cid, inline.cid, `size ${size}`)
        assert.deepEqual(worker.blocks, inline.blocks, `size ${size}`)
      }
    })
  }

  it('keeps concurrent files apart', async () => {
    const codec = await createCodec(RS_WASM_CODEC_ID, 4, 2)
    const files = [1, 2, 3].map(seed => pseudoRandomBytes(seed, 5 * 4 * BLOCK + seed))
    const alone = await Promise.all(files.map(async data => (await encodeFile(chunked(data, 3000), { codec, blockSize: BLOCK }, async () => {})).cid))
    const together = await Promise.all(files.map(async data => (await encodeFile(chunked(data, 3000), { codec, blockSize: BLOCK, offload: true }, async () => {})).cid))
    assert.deepEqual(together, alone)
  })

  it('reports a failure inside the worker with its code', async () => {
    const encoder = new WorkerStripeEncoder({ id: 'no-such-codec', k: 4, m: 2 })
    try {
      for await (const stripe of readStripes(chunked(pseudoRandomBytes(9, 100), 100), 4, 2, BLOCK)) {
        await assert.rejects(encoder.encode(stripe), { code: 'ERR_UNKNOWN_CODEC' })
      }
    } finally {
      encoder.close()
    }
  })

  it('starts in a process whose working directory has no node_modules (a daemon started from anywhere)', async () => {
    const script = `
      const { WorkerStripeEncoder } = await import(${JSON.stringify(new URL('../../coder/stripe-encoder.ts', import.meta.url).href)})
      const { readStripes } = await import(${JSON.stringify(new URL('../../coder/stripe-reader.ts', import.meta.url).href)})
      const encoder = new WorkerStripeEncoder({ id: ${JSON.stringify(RS_WASM_CODEC_ID)}, k: 4, m: 2 })
      async function * input () { yield new Uint8Array(5000).fill(1) }
      for await (const stripe of readStripes(input(), 4, 2, ${BLOCK})) process.stdout.write(String((await encoder.encode(stripe)).hashes.length))
      encoder.close()`
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { cwd: tmpdir() })
    assert.equal(stdout, '6')
  })
})
