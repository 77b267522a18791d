// The last file of every suite run: test/run.sh gives it last, and its name sorts last (Node's runner sorts the files
// it is given; a check started before the others would hog a slot and could end in the gap between two of them). It
// waits until the runner's other test files have exited, then checks what they left behind. Every process of the run
// inherits EDGEMIRROR_SUITE_RUN, so a daemon that a test forgot (or that outlived a test killed at its timeout) is
// found wherever it was re-parented; every temp file of the run lives under the run's own TMPDIR, which must end up
// empty.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { describe, it } from 'node:test'
import { pollUntil } from './harness/poll.ts'
import { describeProcesses, listProcesses, processesMarked, type ProcessFacts } from './harness/process-table.ts'

const RUN = process.env.EDGEMIRROR_SUITE_RUN
/** The runner's per-file limit (test/run.sh): the last other file can take this long. */
const SIBLINGS_DEADLINE_MS = 360_000
/** A daemon whose harness just exited notices within PARENT_POLL_MS (node/parent-watch.ts), then stops cleanly: a
 *  second or two when idle; fifteen on a loaded machine is generous. */
const STRAGGLER_DEADLINE_MS = 15_000
/** tsx's compile cache (test/run.sh links the usual one in): not the suite's to clean. */
const KEPT = /^tsx-\d+$/

describe('suite hygiene', () => {
  it('nothing the suite started is still running, and its temp directory is empty', { timeout: SIBLINGS_DEADLINE_MS + 2 * STRAGGLER_DEADLINE_MS }, async (t) => {
    assert.ok(RUN !== undefined && RUN !== '', 'run through test/run.sh (npm test), which marks the run')
    // The other test files are the runner's other children; wait for them.
    await pollUntil(SIBLINGS_DEADLINE_MS, async () => (await listProcesses()).every(p => p.ppid !== process.ppid || p.pid === process.pid))
    let leaked: ProcessFacts[] = []
    await pollUntil(STRAGGLER_DEADLINE_MS, async () => (leaked = await processesMarked('EDGEMIRROR_SUITE_RUN', RUN)).length === 0)
    assert.deepEqual(describeProcesses(leaked), [], 'processes of this suite run still alive after every test file ended')
    t.diagnostic(`temp directory ${tmpdir()}`)
    assert.deepEqual((await readdir(tmpdir())).filter(name => !KEPT.test(name)), [], 'left in the suite run\'s temp directory')
  })
})
