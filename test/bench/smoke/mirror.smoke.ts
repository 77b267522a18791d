// Smoke test of bench/mirror.ts: the whole bench (6 storage daemons, 3 followers, rsync when installed) on 40 files of
// 4 MiB, checking what it prints: both versions converge with nothing unchanged fetched. No timing asserts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runBenchScript } from '../bench-script.ts'

describe('bench:mirror', () => {
  it('prints a line per version and per rsync round; followers fetch only what changed', { timeout: 600_000 }, async (t) => {
    const lines = await runBenchScript('bench/mirror.ts', ['--files', '40', '--size', '4MiB'], t.signal)
    assert.deepEqual(lines.map(l => l.measurement), ['version-1', 'rsync-version-1', 'version-2', 'rsync-version-2'])
    for (const line of lines.filter(l => !String(l.measurement).startsWith('rsync'))) {
      assert.equal(line.followers.length, 3)
      assert.equal(line.unchangedFilesFetched, 0, JSON.stringify(line))
      assert.equal(line.fetchedPerChangedByte, 1, JSON.stringify(line))
      assert.ok(line.lastFollowerVisibleMs >= line.lastFollowerOverheadMs, JSON.stringify(line))
    }
    assert.equal(lines[2].changedFiles, 4 + 5, '10 % of 40 rewritten, 5 added')
  })
})
