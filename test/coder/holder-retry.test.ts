// A shard whose block fails its hash is asked again in the same stripe when the source has another holder of it
// (ShardSource.reportCorrupt says so), for decoding and for rebuilding alike; a source with one copy per shard is
// asked once and the decoder falls back to other shards, never looping.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCodec, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { decodeFile, type ShardSource } from '../../coder/decoder.ts'
import { encodeFile } from '../../coder/encoder.ts'
import type { Manifest } from '../../coder/manifest.ts'
import { rebuildShards } from '../../coder/rebuild.ts'
import { chunked, concat, pseudoRandomBytes } from './helpers.ts'

const K = 4
const M = 2
const BLOCK = 4096
const STRIPES = 3

async function encoded (): Promise<{ data: Uint8Array, manifest: Manifest, shards: Uint8Array[][] }> {
  const data = pseudoRandomBytes(13, (STRIPES - 1) * K * BLOCK + 777)
  const codec = await createCodec(RS_WASM_CODEC_ID, K, M)
  const shards: Uint8Array[][] = Array.from({ length: K + M }, () => [])
  const { manifest } = await encodeFile(chunked(data), { codec, blockSize: BLOCK }, async (stripe) => {
    stripe.blocks.forEach((b, i) => shards[i].push(b.slice()))
  })
  return { data, manifest, shards }
}

/**
 * Each shard index has `holders` copies; the first holder of every index in `lying` serves random bytes. Like
 * SwarmShardSource, a holder reported corrupt is dropped (for every index), and reportCorrupt says whether the index
 * has a holder left.
 */
function twoHolderSource (shards: Uint8Array[][], lying: number[], holders = 2): ShardSource & { asked: Array<[number, number, number]>, reports: Array<[number, number]> } {
  const dropped = new Set<string>()
  const holdersOf = (index: number): string[] => Array.from({ length: holders }, (_, h) => `${index}/${h}`)
  const current = (index: number): string | undefined => holdersOf(index).find(h => !dropped.has(h))
  const asked: Array<[number, number, number]> = []
  const reports: Array<[number, number]> = []
  return {
    asked,
    reports,
    async readBlock (index, stripe, size) {
      const holder = current(index)
      if (holder === undefined) return null
      const h = Number(holder.split('/')[1])
      asked.push([index, stripe, h])
      if (h === 0 && lying.includes(index)) return pseudoRandomBytes(stripe + 100 * index, size)
      return shards[index][stripe]
    },
    reportCorrupt (index, stripe) {
      reports.push([index, stripe])
      const holder = current(index)
      if (holder !== undefined) dropped.add(holder)
      return current(index) !== undefined
    }
  }
}

describe('StripeGatherer retries a shard on its next holder', () => {
  it('decodes the exact bytes when the first holder of every data shard lies, asking each index again at once', async () => {
    const { data, manifest, shards } = await encoded()
    const source = twoHolderSource(shards, [0, 1, 2, 3])
    const out: Uint8Array[] = []
    const report = await decodeFile(manifest, source, async (chunk) => { out.push(chunk.slice()) })
    assert.deepEqual(concat(out), data)
    assert.deepEqual(report, { missing: [], corrupt: [], rebuilt: [], hedged: 0 }, 'nothing rebuilt: every data shard came from its second holder')
    assert.deepEqual(source.reports, [[0, 0], [1, 0], [2, 0], [3, 0]])
    // Stripe 0 asked every data shard of both holders; the later stripes only the second holders; parity never.
    for (let i = 0; i < K; i++) {
      assert.deepEqual(source.asked.filter(([index]) => index === i).map(([, stripe, h]) => [stripe, h]), [[0, 0], [0, 1], [1, 1], [2, 1]], `shard ${i}`)
    }
    assert.ok(source.asked.every(([index]) => index < K))
  })

  it('asks a shard with a single lying copy once per stripe and rebuilds it from parity (no loop)', async () => {
    const { data, manifest, shards } = await encoded()
    const source = twoHolderSource(shards, [2], 1)
    const out: Uint8Array[] = []
    const report = await decodeFile(manifest, source, async (chunk) => { out.push(chunk.slice()) })
    assert.deepEqual(concat(out), data)
    assert.deepEqual(report.corrupt, [2])
    assert.deepEqual(report.rebuilt, [2])
    assert.deepEqual(source.asked.filter(([index]) => index === 2), [[2, 0, 0]], 'asked once; then the source had no holder left')
  })

  it('fails with ERR_NOT_ENOUGH_SHARDS, not a loop, when too many single copies lie', async () => {
    const { manifest, shards } = await encoded()
    const source = twoHolderSource(shards, [0, 1, 2], 1)
    await assert.rejects(decodeFile(manifest, source, async () => {}), { code: 'ERR_NOT_ENOUGH_SHARDS' })
  })

  it('rebuildShards reads past a lying holder the same way', async () => {
    const { manifest, shards } = await encoded()
    const source = twoHolderSource(shards, [1, 2, 3])
    const rebuilt: Uint8Array[] = []
    // The repair path reads exactly k survivors (its plan's read list): without the retry, three liars leave one.
    const report = await rebuildShards(manifest, source, [0], async (_stripe, blocks) => { rebuilt.push((blocks.get(0) as Uint8Array).slice()) }, { preference: [1, 2, 3, 4] })
    assert.deepEqual(concat(rebuilt), concat(shards[0]))
    assert.deepEqual(report.corrupt, [])
    assert.deepEqual(report.missing, [])
  })
})
