// A short seeded chaos run inside `npm test`: 8 daemon processes, 6 files, 6 events (kills, restarts, stalls, flipped
// bytes), then quiet; every file must come back to full redundancy by itself and fetch byte-identical. No timing
// asserts: the run waits for conditions with deadlines and the test checks the end state. The seed is in the test
// name; replay it with `EDGEMIRROR_CHAOS_SEED=<seed> npm test` or the long form in docs/REPAIR.md.
import assert from 'node:assert/strict'
import { randomInt } from 'node:crypto'
import { describe, it } from 'node:test'
import { runChaos } from './chaos.ts'

const seed = process.env.EDGEMIRROR_CHAOS_SEED !== undefined ? Number(process.env.EDGEMIRROR_CHAOS_SEED) : randomInt(2 ** 31)

describe('chaos (short)', () => {
  it(`seed ${seed}: kills, restarts, stalls and rot within m; the swarm heals every file`, { timeout: 300_000 }, async (t) => {
    const started = performance.now()
    const report = await runChaos({
      seed, daemons: 8, files: 6, rounds: 6, minWaitMs: 300, maxWaitMs: 1500, quietDeadlineMs: 120_000, progress: (text) => { t.diagnostic(`+${((performance.now() - started) / 1000).toFixed(1)}s ${text}`) }
    })
    t.diagnostic(`seed ${seed}: ${JSON.stringify({ schedule: report.schedule, repair: report.repair, totals: report.totals, fetched: report.fetched, durationMs: report.durationMs })}`)
    assert.deepEqual(report.failures, [], `seed ${seed} (replay: ${report.replay})`)
    assert.equal(report.pass, true)
    assert.equal(report.events.length, 6)
    assert.notEqual(report.repair.fullRedundancyMs, null, 'every file back at full redundancy')
    assert.deepEqual(report.fetched, { ok: 6, mismatched: 0, failed: 0 })
  })
})
