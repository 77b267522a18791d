// Smoke test of bench/repair.ts: the whole bench (12 daemons; replicas-3, RS(4,2), RS(6,3); kill one holder, wait for
// full redundancy) on an 8 MiB file, once each, checking the shape of what it prints. No timing asserts.
// --dead-after 10s, not the bench's 3 s: this test runs beside the chaos suite on 2 cores, where a 3 s dead-after
// reads a late heartbeat as a death and the bench then refuses the run (no figure), which says nothing about the
// output's shape. (One CI run failed with full redundancy but no repair counted; a false death mid-repair is the
// likely cause, not a proven one.)
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runBenchScript } from './bench-script.ts'

describe('bench:repair', () => {
  it('prints one JSON line per scheme for --quick --runs 1', { timeout: 420_000 }, async () => {
    const lines = await runBenchScript('bench/repair.ts', ['--quick', '--runs', '1', '--dead-after', '10s'])
    assert.deepEqual(lines.map(l => [l.scheme, l.k, l.m]), [['replicas-3', 1, 2], ['rs-4-2', 4, 2], ['rs-6-3', 6, 3]])
    for (const line of lines) {
      const what = line.scheme as string
      assert.equal(line.bench, 'repair')
      assert.equal(line.sizeBytes, 8 * 1024 * 1024)
      assert.equal(line.runs, 1)
      assert.equal(line.daemons, 12)
      assert.deepEqual(Object.keys(line.detection).sort(), ['deadAfter', 'heartbeat', 'repairGrace', 'repairRate'])
      assert.equal(line.failedRuns, 0, `${what}: ${JSON.stringify(line.failures)}`)
      assert.ok(line.medianMs > 0, `${what} medianMs`)
      assert.equal(line.runsMs.length, 1)
      assert.equal(line.rebuiltIdentical, 1, `${what}: the rebuilt shard equals the lost one`)
      assert.ok(line.bytesLost >= line.sizeBytes / line.k, `${what} bytesLost is one shard`)
      assert.ok(line.bytesPushed >= line.bytesLost, `${what}: at least the lost shard was pushed`)
      assert.ok(line.pushedPerLost >= 1, `${what} pushedPerLost`)
      assert.equal(line.theoreticalPushedPerLost, 1)
      assert.equal(line.readPerLost, line.k)
      assert.equal(line.bytesRead, line.k * line.bytesLost)
      assert.ok(line.ratioVsReplicationMs > 0, `${what} ratioVsReplicationMs`)
      assert.equal(line.node, process.version)
    }
    assert.equal(lines[0].ratioVsReplicationMs, 1)
  })
})
