// One daemon per repo (node/repo-lock.ts): a second daemon on a running repo fails at once with ERR_REPO_LOCKED and
// leaves the first untouched; the lock goes with the process, also when it is SIGKILLed.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { API_FILE } from '../../node/api/endpoint.ts'
import { runCli, spawnDaemon, type DaemonProcess } from '../harness/daemon-process.ts'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0']

describe('repo lock', () => {
  it('refuses a second daemon on a running repo, and is released when the first is SIGKILLed', { timeout: 120_000 }, async () => {
    const repo = await mkdtemp(join(tmpdir(), 'edgemirror-lock-'))
    const daemons: DaemonProcess[] = []
    try {
      daemons.push(await spawnDaemon(repo, LISTEN))
      const endpoint = await readFile(join(repo, API_FILE), 'utf8')
      // Through spawnDaemon, so that a second daemon that does start (the bug) fails the test at once and is stopped.
      const second = await spawnDaemon(repo, LISTEN).then((d) => { daemons.push(d); return undefined }, (err: Error) => err)
      assert.ok(second !== undefined, 'the second daemon started on a locked repo')
      assert.match(second.message, /exited with 1 before it was ready/)
      assert.match(second.message, /"code":"ERR_REPO_LOCKED"/)
      assert.equal(await readFile(join(repo, API_FILE), 'utf8'), endpoint, 'the first daemon\'s api.json is untouched')
      const status = await runCli(['status', '--repo', repo, '--json'])
      assert.equal(status.code, 0, status.stderr)
      assert.equal(status.json.peerId, daemons[0].peerId, 'the CLI still reaches the first daemon')

      await daemons[0].kill() // SIGKILL: no clean stop, the lock must still go
      daemons.push(await spawnDaemon(repo, LISTEN))
      assert.equal(daemons[1].peerId, daemons[0].peerId, 'same repo, same identity')
      assert.ok(existsSync(join(repo, API_FILE)))
    } finally {
      for (const d of daemons) await d.stop()
      await rm(repo, { recursive: true, force: true })
    }
  })
})
