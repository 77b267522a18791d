// `npm run bench`: replication vs erasure coding on the same data in the same run. Runs every step as a child
// process (the bench scripts, each printing JSON lines), collects every line with its step, and writes
// bench/results/<timestamp>.json (measurements, parameters, machine, versions, commit), <timestamp>.md (tables) and
// <timestamp>-<chart>.svg (charts linked from the markdown). docs/BENCHMARKS.md says what each figure means.
//
//   npm run bench -- [--quick] [--schemes replicas-2,replicas-3,rs-4-2,rs-6-3,rs-10-4] [--afr 0.05]
//     [--repair-hours H] [--steps storage,speed,repair,durability,carbon,cpu] [--out bench/results] [--wan | --wan-rate-only]
//
// One progress line per step (and per child process) on stderr. A step that fails keeps the lines it printed and
// the run goes on; the exit code is 1 if any step failed.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { childEnv, scriptArgs } from '../test/harness/daemon-process.ts'
import { DEFAULT_AFR, DEFAULT_REPAIR_HOURS } from './durability/constants.ts'
import { machineFacts } from './report/machine.ts'
import { renderReport } from './report/markdown.ts'
import { composeRepairTime, describeRepairTime, RESULTS_FORMAT, type BenchResults, type Line, type RepairTime, type StepName, type StepResult } from './report/results.ts'
import { parseSchemes, type NamedScheme } from './schemes.ts'
import { probeNetwork } from './wan/netns.ts'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const STEPS: readonly StepName[] = ['storage', 'speed', 'repair', 'durability', 'carbon', 'cpu', 'helia']
const TITLES: Record<StepName, string> = {
  storage: '1. storage', speed: '2. speed', repair: '3. repair', durability: '4. durability', carbon: '5. carbon', cpu: '6. CPU', helia: '7. Helia/IPFS'
}
/** A child that runs longer than this is stuck: --quick steps take seconds to a minute or two on 2 busy cores. */
const QUICK_STEP_TIMEOUT_MS = 15 * 60_000
const FULL_STEP_TIMEOUT_MS = 3 * 60 * 60_000

export interface RunOptions {
  quick: boolean
  /** '--wan' or '--wan-rate-only' when the emulated WAN can run here: the speed and repair steps get it. */
  networkFlag?: string
  schemes: NamedScheme[]
  afr: number
  /** Overrides the measured repair time. */
  repairHours?: number
  steps: StepName[]
}

export function parseRunArgs (argv: string[]): RunOptions & { out: string, wan: boolean, wanRateOnly: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      schemes: { type: 'string' },
      afr: { type: 'string', default: String(DEFAULT_AFR) },
      'repair-hours': { type: 'string' },
      steps: { type: 'string' },
      out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results') },
      wan: { type: 'boolean', default: false },
      'wan-rate-only': { type: 'boolean', default: false }
    }
  })
  if (values.wan === true && values['wan-rate-only'] === true) throw new Error('--wan and --wan-rate-only exclude each other')
  const steps = values.steps === undefined ? [...STEPS] : values.steps.split(',').map(s => s.trim()) as StepName[]
  const unknown = steps.filter(s => !STEPS.includes(s))
  if (unknown.length > 0) throw new Error(`unknown step(s) ${unknown.join(', ')}: use ${STEPS.join(', ')}`)
  const afr = Number(values.afr)
  if (!(afr >= 0 && afr < 1)) throw new Error(`--afr must be in [0, 1), got ${values.afr}`)
  const repairHours = values['repair-hours'] !== undefined ? Number(values['repair-hours']) : undefined
  if (repairHours !== undefined && !(repairHours > 0)) throw new Error(`--repair-hours must be > 0, got ${values['repair-hours']}`)
  return { quick: values.quick === true, schemes: parseSchemes(values.schemes), afr, repairHours, steps, out: values.out, wan: values.wan === true, wanRateOnly: values['wan-rate-only'] === true }
}

const schemeList = (o: RunOptions): string => o.schemes.map(s => s.id).join(',')

/** The child processes of a step (argv after `node`), or a reason to skip it. `repairHours` feeds step 4. */
export function stepCommands (name: StepName, o: RunOptions, repairHours: number): string[][] | { skip: string } {
  const quick = o.quick ? ['--quick'] : []
  const wan = o.networkFlag !== undefined ? [o.networkFlag] : []
  switch (name) {
    case 'storage': return [['bench/storage.ts', '--schemes', schemeList(o), ...quick]]
    // 16 MiB x 3 runs gives medians in --quick; the full run uses bench:transfer's own median-of-3 size limit, or on
    // the emulated WAN its 100 Mbit/s default of 32 MiB (256 MiB would take ~20 s per transfer, an hour in all).
    case 'speed': return [['bench/transfer.ts', '--schemes', schemeList(o), ...(o.quick ? ['--size', '16MiB'] : ['--size', wan.length > 0 ? '32MiB' : '256MiB']), '--runs', '3', ...wan]]
    case 'repair':
      return existsSync(join(REPO_ROOT, 'bench', 'repair.ts'))
        ? [['bench/repair.ts', ...quick, ...wan]]
        : { skip: `bench/repair.ts does not exist in this tree yet; durability uses ${repairHours} h instead of a measured repair time` }
    case 'durability': return [['bench/annual-loss.ts', '--schemes', schemeList(o), '--afr', String(o.afr), '--repair-hours', String(repairHours), ...quick]]
    case 'carbon':
      // bench:placement takes --k/--m, so every scheme is placed itself rather than scaled from RS(6,3).
      return o.schemes.map(s => ['bench/placement.ts', '--k', String(s.k), '--m', String(s.m),
        ...(o.quick ? ['--files', '200', '--timing-peers', '1000', '--timing-files', '20'] : [])])
    case 'cpu': return [['bench/coder.ts', ...(o.quick ? ['--quick', '--size', '16MiB', '--runs', '3'] : [])]]
    case 'helia': return { skip: 'optional step not implemented: Helia (IPFS in JS) is not a dependency of this project, and adding one only for a comparison was out of scope' }
  }
}

function progress (text: string): void {
  process.stderr.write(`[bench] ${text}\n`)
}

/** Run `node ...args`, returning the JSON lines of its stdout; a TTY shows the child's latest progress line. */
async function runChild (args: string[], timeoutMs: number): Promise<{ code: number | null, lines: Line[], stderrTail: string }> {
  const child = spawn(process.execPath, scriptArgs(args[0], args.slice(1)), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() })
  const lines: Line[] = []
  let pending = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString()
    const parts = pending.split('\n')
    pending = parts.pop() ?? ''
    for (const part of parts) {
      if (!part.trim().startsWith('{')) continue // e.g. a markdown table after the JSON lines
      try { lines.push(JSON.parse(part)) } catch {} // not a JSON line
    }
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000)
    const last = stderr.trimEnd().split('\n').pop() ?? ''
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K    ${last.slice(0, (process.stderr.columns ?? 100) - 6)}`)
  })
  const timer = setTimeout(() => { child.kill('SIGTERM') }, timeoutMs)
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  clearTimeout(timer)
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
  return { code, lines, stderrTail: stderr.trim().split('\n').slice(-5).join('\n') }
}

async function runStep (name: StepName, o: RunOptions, repairHours: number, index: number): Promise<StepResult> {
  const label = `${index}/${o.steps.length} ${TITLES[name]}`
  const planned = stepCommands(name, o, repairHours)
  const started = performance.now()
  if (!Array.isArray(planned)) {
    progress(`${label}: skipped (${planned.skip})`)
    return { step: name, title: TITLES[name], commands: [], status: 'skipped', reason: planned.skip, durationMs: 0, lines: [] }
  }
  const result: StepResult = { step: name, title: TITLES[name], commands: planned, status: 'ok', durationMs: 0, lines: [] }
  for (const args of planned) {
    progress(`${label}: node ${args.join(' ')}`)
    const child = await runChild(args, o.quick ? QUICK_STEP_TIMEOUT_MS : FULL_STEP_TIMEOUT_MS)
    result.lines.push(...child.lines)
    if (child.code !== 0) {
      result.status = 'failed'
      result.reason = `${args[0]} exited with ${String(child.code)}: ${child.stderrTail}`
    }
  }
  result.durationMs = performance.now() - started
  progress(`${label}: ${result.status}, ${result.lines.length} measurements, ${(result.durationMs / 1000).toFixed(1)} s${result.status === 'failed' ? ` — ${result.reason ?? ''}` : ''}`)
  return result
}

export async function runBench (argv: string[]): Promise<{ results: BenchResults, files: string[] }> {
  const options = parseRunArgs(argv)
  const startedAt = new Date()
  const machine = machineFacts(REPO_ROOT)
  // The speed and repair steps get the flag and build their own namespaces; storage stays on loopback (bytes stored
  // do not depend on the network).
  const { flag, shaping: _shaping, ...network } = await probeNetwork(options)
  options.networkFlag = flag
  progress(`${options.quick ? '--quick, ' : ''}schemes ${schemeList(options)}; ${machine.cores} cores, load ${machine.loadAvg1mStart.toFixed(2)}; network: ${network.profile} (${network.reason})`)
  const steps: StepResult[] = []
  let repairHours = options.repairHours ?? DEFAULT_REPAIR_HOURS[1]
  let repairHoursSource = options.repairHours !== undefined ? '--repair-hours' : `default: no measured repair time, the 24 h case of docs/DURABILITY.md`
  let repairTime: RepairTime | undefined
  for (const [i, name] of options.steps.entries()) {
    const result = await runStep(name, options, repairHours, i + 1)
    steps.push(result)
    // bench:repair detects deaths in seconds so that it finishes; a real swarm waits for the daemon's defaults.
    const composed = name === 'repair' && options.repairHours === undefined ? composeRepairTime(result.lines) : undefined
    if (composed !== undefined) {
      repairTime = composed
      repairHours = composed.totalMs / 3_600_000
      repairHoursSource = describeRepairTime(composed)
    }
  }
  machine.loadAvg1mEnd = loadavg()[0]
  const results: BenchResults = {
    format: RESULTS_FORMAT,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    options: { quick: options.quick, schemes: options.schemes.map(s => s.id), afr: options.afr, repairHours, repairHoursSource, ...(repairTime !== undefined ? { repairTime } : {}), network },
    machine,
    steps
  }
  const stamp = results.startedAt.replace(/[:.]/g, '-')
  await mkdir(options.out, { recursive: true })
  const report = await renderReport(results, name => `./${stamp}-${name}.svg`)
  const files = [join(options.out, `${stamp}.json`), join(options.out, `${stamp}.md`)]
  await writeFile(files[0], JSON.stringify(results, null, 2) + '\n')
  await writeFile(files[1], report.markdown)
  for (const chart of report.charts) {
    files.push(join(options.out, `${stamp}-${chart.name}.svg`))
    await writeFile(files[files.length - 1], chart.svg)
  }
  return { results, files }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runBench(process.argv.slice(2)).then(({ results, files }) => {
    progress(`wrote ${files.join(', ')}`)
    if (results.steps.some(s => s.status === 'failed')) process.exitCode = 1
  }).catch((err) => {
    progress(`failed: ${(err as Error).stack ?? String(err)}`)
    process.exitCode = 1
  })
}
