// `npm run test:chaos`: the long seeded chaos run (8 daemons, 24 files, 30 events by default). Progress on stderr,
// the report as one JSON document on stdout, exit code 1 when the run failed. Replay a run with its seed:
//   npm run test:chaos -- --seed 1234 [--daemons 8 --files 24 --rounds 30]
import { randomInt } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { runChaos } from './chaos.ts'

function positive (name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} wants a non-negative integer, got ${JSON.stringify(text)}`)
  return value
}

const { values } = parseArgs({
  options: { seed: { type: 'string' }, daemons: { type: 'string' }, files: { type: 'string' }, rounds: { type: 'string' }, 'quiet-deadline': { type: 'string' } }
})
const seed = positive('seed', values.seed, randomInt(2 ** 31))
const started = performance.now()
const report = await runChaos({
  seed,
  daemons: positive('daemons', values.daemons, 8),
  files: positive('files', values.files, 24),
  rounds: positive('rounds', values.rounds, 30),
  quietDeadlineMs: positive('quiet-deadline', values['quiet-deadline'], 300) * 1000,
  progress: (text) => { process.stderr.write(`[chaos seed ${seed} +${((performance.now() - started) / 1000).toFixed(1)}s] ${text}\n`) }
})
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
if (!report.pass) {
  process.stderr.write(`chaos run FAILED (seed ${seed}); replay: ${report.replay}\n${report.failures.join('\n')}\n`)
  process.exitCode = 1
}
