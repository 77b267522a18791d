// Runs one bench script as a user would (`node --import tsx --import ./node/polyfill.ts bench/<name>.ts …`) and
// returns its JSON lines: the smoke tests check their shape, never their speed.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { childEnv, scriptArgs } from '../harness/daemon-process.ts'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Exit code 0 is asserted (with the script's stderr as the message); stdout must be JSON lines. `signal` is the
 *  test's (aborted when it times out or is cancelled): the script is stopped with it, and its daemons with the
 *  script (test/harness/exit-with-parent.ts, `daemon --exit-with-parent`). `env` is added to this process's. */
export async function runBenchScript (script: string, args: string[], signal?: AbortSignal, env: NodeJS.ProcessEnv = {}): Promise<Array<Record<string, any>>> {
  const child = spawn(process.execPath, scriptArgs(script, args), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(env), signal, killSignal: 'SIGTERM' })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.on('error', () => {}) // an abort surfaces as 'error' too; the exit below reports it
  const [code, killedBy] = await once(child, 'exit') as [number | null, NodeJS.Signals | null]
  assert.equal(code, 0, `${script} exited with ${String(code ?? killedBy)}: ${stderr}`)
  return stdout.trim().split('\n').map(line => JSON.parse(line) as Record<string, any>)
}
