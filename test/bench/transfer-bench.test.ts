// Smoke test of bench/transfer.ts: the whole bench (raw stream baseline, six daemons, share, fetch, degraded fetch)
// on a small file, checking the shape of what it prints. No timing asserts: this machine's speed is not the subject.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runBenchScript } from './bench-script.ts'

const SIZE = '8MiB'

describe('bench:transfer', () => {
  it(`prints one JSON line per measurement for --size ${SIZE} --runs 1`, { timeout: 180_000 }, async () => {
    const lines = await runBenchScript('bench/transfer.ts', ['--size', SIZE, '--runs', '1'])
    assert.deepEqual(lines.map(l => `${l.op as string}:${String(l.scheme)}`), [
      'raw-stream:null', 'share:rs-4-2', 'fetch:rs-4-2', 'share:replicas-3', 'fetch:replicas-3', 'fetch-degraded:rs-4-2'
    ])
    for (const line of lines) {
      assert.equal(line.bench, 'transfer')
      assert.equal(line.sizeBytes, 8 * 1024 * 1024)
      assert.equal(line.runs, 1)
      assert.ok(line.medianMs > 0, `${line.op as string} medianMs`)
      assert.ok(line.mbPerSec > 0, `${line.op as string} mbPerSec`)
      assert.ok(line.ratioVsRaw > 0, `${line.op as string} ratioVsRaw`)
      assert.equal(line.node, process.version)
      assert.ok(Number.isInteger(line.cpus) && line.cpus > 0)
      for (const mib of Object.values(line.peakRssMiB as Record<string, number>)) assert.ok(mib > 0, `${line.op as string} peak RSS ${JSON.stringify(line.peakRssMiB)}`)
    }
    assert.equal(lines[0].ratioVsRaw, 1)
    assert.deepEqual(Object.keys(lines[0].peakRssMiB).sort(), ['sender', 'sink'])
    for (const line of lines.slice(1)) assert.deepEqual(Object.keys(line.peakRssMiB).sort(), ['cli', 'daemonMax', 'entryDaemon', 'otherDaemons'])
    const degraded = lines[5]
    assert.equal(degraded.down, 2)
    assert.ok(degraded.rebuilt.length > 0, 'the degraded fetch rebuilt data shards from parity')
  })
})
