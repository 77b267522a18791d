// Smoke test of bench/transfer.ts: the whole bench (raw stream baseline, the daemons, share, fetch, fetch with 1 and
// with m holders down) on a small file, checking the shape of what it prints. No timing asserts: this machine's speed
// is not the subject. `npm run test:bench` runs it (13 processes for minutes: too heavy for `npm test`); the pure
// choices of reader and victims are in test/bench/transfer-choices.test.ts, where Helia is looked for in
// test/bench/helia-install.test.ts.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { HELIA_DIR_ENV, HELIA_NOT_INSTALLED } from '../../../bench/helia-install.ts'
import { runBenchScript } from '../bench-script.ts'

const SIZE = '8MiB'

describe('bench:transfer', () => {
  it(`prints one JSON line per measurement for --size ${SIZE} --runs 1 --schemes replicas-2,rs-4-2`, { timeout: 300_000 }, async (t) => {
    // Helia is looked for in an empty directory: the bench must say it is not installed and go on (its own run is
    // too heavy for a smoke test, and optional).
    const noHelia = await mkdtemp(join(tmpdir(), 'edgemirror-no-helia-'))
    t.after(async () => { await rm(noHelia, { recursive: true, force: true }) })
    const all = await runBenchScript('bench/transfer.ts', ['--size', SIZE, '--runs', '1', '--schemes', 'replicas-2,rs-4-2'], t.signal, { [HELIA_DIR_ENV]: noHelia })
    assert.deepEqual(all.at(-1), { bench: 'transfer', op: 'helia-cat', skipped: HELIA_NOT_INSTALLED })
    const lines = all.slice(0, -1)
    assert.deepEqual(lines.map(l => `${l.op as string}:${String(l.scheme)}${l.down !== undefined ? `:${String(l.down)}` : ''}`), [
      'raw-stream:null',
      'share:replicas-2', 'fetch:replicas-2', 'fetch-degraded:replicas-2:1', // m = 1: one degraded line
      'share:rs-4-2', 'fetch:rs-4-2', 'fetch-degraded:rs-4-2:1', 'fetch-degraded:rs-4-2:2'
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
    for (const line of lines.slice(1)) {
      assert.deepEqual(Object.keys(line.peakRssMiB).sort(), ['cli', 'daemonMax', 'entryDaemon', 'otherDaemons'])
      assert.equal(line.peers, 6)
    }
    const degraded = lines.filter(l => l.op === 'fetch-degraded')
    for (const line of degraded) {
      assert.equal(line.victims.length, line.down)
      assert.ok(!line.victims.includes(line.reader), 'the reader is never killed')
      assert.ok(line.downForMs > 0)
    }
    const rsTwoDown = degraded.find(l => l.scheme === 'rs-4-2' && l.down === 2)
    assert.deepEqual(rsTwoDown?.rebuilt, rsTwoDown?.missing.filter((i: number) => i < 4), 'the missing data shards were rebuilt from parity')
    assert.ok(rsTwoDown?.rebuilt.length > 0)
  })
})
