// The compiled package (dist/, `npm run build`) that the harness runs, as users run it, kept in step with the sources:
// a test file run on its own after an edit must not drive yesterday's CLI. test/run.sh builds once before a suite
// run, so the test files it runs side by side find dist/ current and never build at the same time.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Written by every build, also one that found nothing to compile (tsc -b then updates output timestamps). */
const BUILD_INFO = join(ROOT, 'dist', '.tsbuildinfo')

/** What the build reads (tsconfig.build.json). */
const INPUTS = ['coder', 'node', 'tsconfig.json', 'tsconfig.build.json']

function newestMtimeMs (path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs // a deleted file shows only here
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)))
  return newest
}

function builtAtMs (): number {
  try {
    return statSync(BUILD_INFO).mtimeMs
  } catch {
    return -1 // never built
  }
}

/** Run `npm run build` if a source is newer than the last build; throw if it fails. */
export function ensureBuilt (): void {
  const newest = Math.max(...INPUTS.map(p => newestMtimeMs(join(ROOT, p))))
  if (builtAtMs() >= newest) return
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
  if (build.status !== 0) throw new Error(`npm run build failed (${build.error?.message ?? `exit ${String(build.status)}`}): the harness runs the compiled CLI`)
}
