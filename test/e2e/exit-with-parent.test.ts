// No daemon outlives the process that started it: `daemon --exit-with-parent` (node/parent-watch.ts), which
// spawnDaemon always passes, stops a daemon cleanly once its harness has exited, however it exited; and a daemon
// left stopped (SIGSTOP) by a dead harness is woken by the kernel (its own process group is orphaned) and ends too.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { API_FILE } from '../../node/api/endpoint.ts'
import { SCRIPT_IMPORTS, scriptArgs } from '../harness/daemon-process.ts'
import { pollUntil } from '../harness/poll.ts'
import { describeProcesses, processesMarked, type ProcessFacts } from '../harness/process-table.ts'

const THREE_DAEMONS = fileURLToPath(new URL('./fixtures/three-daemons.ts', import.meta.url))
const HANGING_TEST = fileURLToPath(new URL('./fixtures/hanging-test.ts', import.meta.url))
/** Generous: a daemon notices within half a second and an idle one stops in well under a second; the figure is
 *  reported, never asserted, since a loaded machine may be slower. */
const GONE_DEADLINE_MS = 30_000

/** Running, as opposed to gone or a zombie nobody reaped yet (a dead process). */
async function running (pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
}

describe('daemons never outlive their harness', () => {
  it('SIGKILL of a harness that started 3 daemons (one stopped with SIGSTOP): all 3 end', { timeout: 120_000 }, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'edgemirror-harness-'))
    const harness = spawn(process.execPath, scriptArgs(THREE_DAEMONS, [root, '--stop-one']), { stdio: ['ignore', 'pipe', 'inherit'] })
    let pids: number[] = []
    try {
      const [line] = await once(harness.stdout, 'data') as [Buffer]
      const started = JSON.parse(line.toString()) as { daemons: Array<{ pid: number, repo: string }> }
      pids = started.daemons.map(d => d.pid)
      assert.equal(pids.length, 3)
      for (const pid of pids) assert.ok(await running(pid), `daemon ${pid} runs before the harness dies`)
      const killedAt = Date.now()
      harness.kill('SIGKILL')
      const gone = await pollUntil(GONE_DEADLINE_MS, async () => (await Promise.all(pids.map(running))).every(r => !r))
      t.diagnostic(`all 3 daemons gone ${Date.now() - killedAt} ms after the harness's SIGKILL`)
      assert.ok(gone, `still running ${GONE_DEADLINE_MS} ms after the harness died: ${pids.join(', ')}`)
      // The two that were running stopped cleanly: a clean stop removes the API endpoint file.
      for (const d of started.daemons.slice(1)) assert.equal(existsSync(join(d.repo, API_FILE)), false, `${d.repo}: stopped cleanly`)
    } finally {
      harness.kill('SIGKILL')
      for (const pid of pids) try { process.kill(pid, 'SIGKILL') } catch {} // already gone: the test passed
      await rm(root, { recursive: true, force: true })
    }
  })

  it('a test that times out with 3 daemons running leaves nothing running', { timeout: 120_000 }, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'edgemirror-timeout-'))
    // A runner of its own, not nested in ours (NODE_TEST_CONTEXT would make it report to us as a child).
    const env: NodeJS.ProcessEnv = { ...process.env, HANGING_TEST_ROOT: root }
    delete env.NODE_TEST_CONTEXT
    let leaked: ProcessFacts[] = []
    try {
      const runner = spawn(process.execPath, [...SCRIPT_IMPORTS, '--test', '--test-timeout=20000', HANGING_TEST], { stdio: ['ignore', 'pipe', 'pipe'], env })
      const [code] = await once(runner, 'exit') as [number | null]
      const endedAt = Date.now()
      assert.equal(code, 1, 'the hanging test was cancelled at its timeout')
      const pids = (await readFile(join(root, 'pids'), 'utf8').catch(() => '')).split('\n').filter(Boolean)
      assert.ok(pids.length > 0, 'at least one daemon was ready before the timeout')
      const gone = await pollUntil(GONE_DEADLINE_MS, async () => (leaked = await processesMarked('HANGING_TEST_ROOT', root)).length === 0)
      t.diagnostic(`${pids.length} daemons ready before the timeout; every process of that test gone ${Date.now() - endedAt} ms after its runner ended`)
      assert.ok(gone, `still running: ${describeProcesses(leaked).join('; ')}`)
    } finally {
      for (const p of leaked) try { process.kill(p.pid, 'SIGKILL') } catch {} // already gone: the test passed
      await rm(root, { recursive: true, force: true })
    }
  })
})
