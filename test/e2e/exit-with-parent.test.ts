// `edgemirror daemon --exit-with-stdin` stops cleanly when its standard input closes, and spawnDaemon uses it, so a
// harness that dies (even by SIGKILL) does not leave its daemons running.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { API_FILE } from '../../node/api/endpoint.ts'
import { CLI_PATH, nodeCommand } from '../../node/daemon-process.ts'
import { waitFor } from '../swarm/swarm.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/spawn-one-daemon.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

/** The first JSON document a child prints on stdout (the CLI pretty-prints it over several lines). */
async function firstDocument (child: ReturnType<typeof spawn>): Promise<unknown> {
  let out = ''
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    out += chunk.toString()
    try {
      return JSON.parse(out)
    } catch {} // not a whole document yet
  }
  throw new Error(`exited before printing a JSON document: ${out}`)
}

describe('daemons stop with the process that started them', () => {
  it('--exit-with-stdin: closing stdin stops the daemon cleanly (exit 0, api.json removed)', { timeout: 120_000 }, async () => {
    const repo = await mkdtemp(join(tmpdir(), 'edgemirror-stdin-'))
    const child = spawn(...nodeCommand([CLI_PATH, 'daemon', '--repo', repo, '--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--exit-with-stdin']), { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = once(child, 'exit')
    try {
      await firstDocument(child) // ready
      assert.ok(await exists(join(repo, API_FILE)))
      child.stdin?.end()
      const [code] = await exited
      assert.equal(code, 0)
      assert.equal(await exists(join(repo, API_FILE)), false, 'a clean stop removes the API endpoint file')
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await rm(repo, { recursive: true, force: true })
    }
  })

  it('a daemon from spawnDaemon stops when its harness is killed with SIGKILL', { timeout: 120_000 }, async () => {
    const repo = await mkdtemp(join(tmpdir(), 'edgemirror-orphan-'))
    let daemonPid: number | undefined
    try {
      const harness = spawn(...nodeCommand(['--import', 'tsx', '--import', './node/polyfill.ts', FIXTURE, repo]), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
      daemonPid = (await firstDocument(harness) as { pid: number }).pid
      assert.ok(alive(daemonPid))
      const harnessExited = once(harness, 'exit')
      harness.kill('SIGKILL')
      await harnessExited
      const pid = daemonPid
      await waitFor(() => !alive(pid), 60_000, 'the orphaned daemon to stop')
      assert.equal(await exists(join(repo, API_FILE)), false, 'it stopped cleanly, not killed')
    } finally {
      if (daemonPid !== undefined && alive(daemonPid)) process.kill(daemonPid, 'SIGKILL')
      await rm(repo, { recursive: true, force: true })
    }
  })
})
