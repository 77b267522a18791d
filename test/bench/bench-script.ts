// Runs one bench script as a user would (`node --import tsx --import ./node/polyfill.ts bench/<name>.ts …`) and
// returns its JSON lines: the smoke tests check their shape, never their speed.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Exit code 0 is asserted (with the script's stderr as the message); stdout must be JSON lines. */
export async function runBenchScript (script: string, args: string[]): Promise<Array<Record<string, any>>> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './node/polyfill.ts', script, ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  assert.equal(code, 0, stderr)
  return stdout.trim().split('\n').map(line => JSON.parse(line) as Record<string, any>)
}
