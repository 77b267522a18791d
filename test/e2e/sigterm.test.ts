// A real daemon stops on SIGTERM within a deadline whatever it is doing: here, in the middle of a scrub pass throttled
// far below the size of its shards (issue #13: it stayed up for the whole pause between passes, an hour by default,
// with its api.json already gone and still serving peers). The same pass made a daemon whose start failed on a
// bad --api hang instead of exiting with the error.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli, spawnDaemon, type DaemonProcess } from '../harness/daemon-process.ts'
import { STOP_DEADLINE_MS, withDeadline } from '../swarm/swarm.ts'

/** Two 4 MiB shards (k=1, m=1 on one daemon) scrubbed at 100 kB/s: a pass takes ~80 s, so SIGTERM lands inside it. */
const FILE_BYTES = 4 * 1024 * 1024
const SLOW_SCRUB = '100kB/s'
/** A daemon also tears down libp2p and the control API; a spawned process starts and exits slower than a service. */
const EXIT_DEADLINE_MS = 2 * STOP_DEADLINE_MS

describe('SIGTERM during a scrub pass', () => {
  let root: string
  let repo: string
  const running: DaemonProcess[] = []

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-sigterm-'))
    repo = join(root, 'd0')
    // Store the shards with the default scrub settings (the first pass runs on an empty store and ends at once).
    const daemon = await spawnDaemon(repo, ['--listen', '/ip4/127.0.0.1/tcp/0'])
    running.push(daemon)
    const file = join(root, 'file.bin')
    await writeFile(file, Buffer.alloc(FILE_BYTES, 7))
    const shared = await runCli(['share', file, '--repo', repo, '--k', '1', '--m', '1', '--allow-fewer-peers', '--json'])
    assert.equal(shared.code, 0, shared.stderr)
    await withDeadline(daemon.stop(), EXIT_DEADLINE_MS, 'the first daemon to stop')
  })

  after(async () => {
    for (const d of running) await d.kill()
    await rm(root, { recursive: true, force: true })
  })

  it('exits 0 within the deadline', async () => {
    const daemon = await spawnDaemon(repo, ['--scrub-rate', SLOW_SCRUB])
    running.push(daemon)
    const status = (await runCli(['status', '--repo', repo, '--json'])).json
    assert.equal(status.shards, 2, 'the daemon holds the shards it is scrubbing')
    const exited = once(daemon.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    daemon.child.kill('SIGTERM')
    const [code, signal] = await withDeadline(exited, EXIT_DEADLINE_MS, 'the daemon to exit after SIGTERM')
    assert.equal(signal, null, `killed by ${String(signal)}: ${daemon.stderr()}`)
    assert.equal(code, 0, daemon.stderr())
    assert.equal(existsSync(join(repo, 'api.json')), false, 'api.json is removed')
  })

  it('a daemon whose start fails (non-loopback --api) exits with the error instead of hanging in the pass', async () => {
    // spawnDaemon rejects when the process exits before it is ready; before the fix it waited for its own timeout.
    await assert.rejects(withDeadline(spawnDaemon(repo, ['--api', '0.0.0.0:0', '--scrub-rate', SLOW_SCRUB]), EXIT_DEADLINE_MS, 'the daemon to give up'),
      (err: Error) => { assert.match(err.message, /exited with 2 before it was ready[\s\S]*ERR_USAGE/); return true })
  })
})
