// Smoke test of bench/gateway.ts: the whole bench (6 daemons, RS(4,2), a static file server) on a 4 MiB file with
// 5 ranges and 1 or 2 clients, checking the shape of what it prints. No timing asserts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runBenchScript } from '../bench-script.ts'

describe('bench:gateway', () => {
  it('prints ttfb, fetch and throughput lines with their ratios', { timeout: 300_000 }, async (t) => {
    const lines = await runBenchScript('bench/gateway.ts', ['--size', '4MiB', '--ranges', '5', '--clients', '1,2'], t.signal)
    assert.deepEqual(lines.map(l => [l.op, l.cache ?? null, l.server ?? null, l.clients ?? null]), [
      ['ttfb', 'cold', null, null], ['ttfb', 'warm', null, null], ['fetch-cli', null, null, null],
      ['throughput', null, 'static', 1], ['throughput', 'cold', 'gateway', 1], ['throughput', 'warm', 'gateway', 1],
      ['throughput', null, 'static', 2], ['throughput', 'cold', 'gateway', 2], ['throughput', 'warm', 'gateway', 2]
    ])
    for (const line of lines) {
      assert.equal(line.bench, 'gateway')
      assert.equal(line.sizeBytes, 4 * 1024 * 1024)
      if (line.op === 'ttfb') {
        assert.equal(line.ranges, 5)
        assert.ok(line.medianMs > 0 && line.p99Ms >= line.medianMs, JSON.stringify(line))
      } else {
        assert.ok(line.mbPerSec > 0, JSON.stringify(line))
      }
      if (line.op === 'throughput') assert.ok(line.ratioVsStatic > 0 && line.runsMbPerSec.length === (line.clients === 1 ? 3 : 1), JSON.stringify(line))
    }
  })
})
