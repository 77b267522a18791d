// Smoke test of bench/coder.ts (so the benchmark does not rot): the whole bench on a tiny size, checking the shape
// of what it prints. No timing asserts: this machine's speed is not the subject.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runBenchScript } from './bench-script.ts'
import { loadRsNative } from '../../coder/rs-native-codec.ts'

const MiB = 1024 * 1024

describe('bench:coder', () => {
  it('prints one JSON line per measurement for --quick --size 4MiB', { timeout: 120_000 }, async () => {
    const lines = await runBenchScript('bench/coder.ts', ['--quick', '--size', '4MiB'])
    const codecs = [['rs-wasm-1', 4, 2], ['rs-wasm-1', 6, 3], ['rs-wasm-1', 10, 4],
      ...(loadRsNative() != null ? [['rs-native-1', 4, 2], ['rs-native-1', 6, 3], ['rs-native-1', 10, 4]] : []), ['replica-1', 1, 1], ['replica-1', 1, 2]]
    assert.deepEqual(lines.map(l => `${l.op as string}:${String(l.codec)}:${String(l.k)}:${String(l.m)}`), [
      'baseline-copy:null:null:null',
      'baseline-sha256:null:null:null',
      ...codecs.flatMap(([id, k, m]) => [`codec-encode:${id}:${k}:${m}`, `codec-reconstruct:${id}:${k}:${m}`]),
      ...codecs.flatMap(([id, k, m]) => [`pipeline-encode:${id}:${k}:${m}`, `pipeline-decode:${id}:${k}:${m}`]),
      'peak-rss:undefined:undefined:undefined'
    ])
    for (const line of lines) {
      assert.equal(line.bench, 'coder')
      assert.equal(line.blockSize, MiB)
      assert.ok(line.peakRssBytes > 0, `${line.op as string} peakRssBytes`)
      assert.equal(line.node, process.version)
      assert.ok(Number.isInteger(line.cpus) && line.cpus > 0)
      if (line.op === 'peak-rss') continue
      assert.equal(line.runs, 1)
      assert.ok(line.sizeBytes >= 4 * MiB, `${line.op as string} sizeBytes ${String(line.sizeBytes)}`)
      assert.ok(line.medianMs > 0, `${line.op as string} medianMs`)
      assert.ok(line.mbPerSec > 0, `${line.op as string} mbPerSec`)
      assert.deepEqual(line.allMs, [line.medianMs])
      if (line.op.startsWith('baseline-')) continue
      assert.ok(line.ratioVsSha256 > 0 && line.ratioVsCopy > 0, `${line.op as string} ratios`)
      if (line.op.endsWith('reconstruct') || line.op.endsWith('decode')) assert.equal(line.lost, line.m)
    }
  })
})
