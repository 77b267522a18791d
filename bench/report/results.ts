// The results file of `npm run bench` (bench/results/<timestamp>.json) and the figures the report reads from it.
// Every step keeps the JSON lines its bench printed, untouched; the functions below only pick them out per scheme.
import { REPLICA_CODEC_ID, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'

export const RESULTS_FORMAT = 'edgemirror-bench/1'

export type StepName = 'storage' | 'speed' | 'repair' | 'durability' | 'carbon' | 'cpu' | 'helia'
export type StepStatus = 'ok' | 'failed' | 'skipped'

export type Line = Record<string, any>

export interface StepResult {
  step: StepName
  title: string
  /** Every child process the step ran, as argv after `node`. */
  commands: string[][]
  status: StepStatus
  /** Why it was skipped or failed. */
  reason?: string
  durationMs: number
  lines: Line[]
}

export interface Machine {
  os: string
  arch: string
  cpuModel: string
  cores: number
  totalMemoryBytes: number
  node: string
  /** Installed versions (node_modules/<name>/package.json); null when not installed. */
  packages: Record<string, string | null>
  gitCommit: string
  /** Uncommitted changes in the tree when the run started (git status --porcelain was not empty). */
  gitDirty: boolean
  loadAvg1mStart: number
  loadAvg1mEnd: number
}

export interface BenchResults {
  format: typeof RESULTS_FORMAT
  startedAt: string
  finishedAt: string
  /** The command line, e.g. "npm run bench -- --quick". */
  command: string
  options: {
    quick: boolean
    schemes: string[]
    afr: number
    repairHours: number
    /** Where repairHours came from: the repair bench, a flag, or the documented default. */
    repairHoursSource: string
    network: { profile: 'loopback' | 'wan', reason: string }
  }
  machine: Machine
  steps: StepResult[]
}

export function step (results: BenchResults, name: StepName): StepResult | undefined {
  return results.steps.find(s => s.step === name)
}

export function linesOf (results: BenchResults, name: StepName): Line[] {
  return step(results, name)?.lines ?? []
}

/** Seconds per 10^9 bytes from MB/s (10^6 bytes/s): the CPU cost of a single-threaded operation per GB. */
export function secondsPerGb (mbPerSec: number | null | undefined): number | null {
  return mbPerSec != null && mbPerSec > 0 ? 1000 / mbPerSec : null
}

/** The coder bench measures replication as the replica codec with k=1, m=R-1; RS by codec id and (k, m). */
export function coderLine (results: BenchResults, op: string, k: number, m: number): Line | undefined {
  const lines = linesOf(results, 'cpu').filter(l => l.op === op && l.k === k && l.m === m)
  // Prefer the WebAssembly codec: it is the default everywhere (the native one builds only on some machines).
  return lines.find(l => l.codec === RS_WASM_CODEC_ID) ?? lines.find(l => l.codec === REPLICA_CODEC_ID) ?? lines[0]
}

/** Carbon-blind (carbon weight 0) and carbon-aware (the default weights) placement of one scheme. */
export function carbonLines (results: BenchResults, k: number, m: number): { blind?: Line, aware?: Line, carbonOnly?: Line } {
  const sweep = linesOf(results, 'carbon').filter(l => l.measurement === 'carbon-sweep' && l.k === k && l.m === m)
  return {
    blind: sweep.find(l => l.weights?.carbon === 0),
    aware: sweep.find(l => l.isDefault === true),
    carbonOnly: sweep.find(l => l.weights?.carbon === 1)
  }
}

/** Field names bench/repair.ts may use for the time from a peer's death to full redundancy, in milliseconds. */
const REPAIR_MS_FIELDS = ['timeToFullRedundancyMs', 'timeToRedundancyMs', 'repairMs', 'medianMs']

/** The measured time to full redundancy (median over the repair bench's lines that carry one), in ms. */
export function measuredRepairMs (lines: Line[]): number | undefined {
  const times: number[] = []
  for (const line of lines) {
    const field = REPAIR_MS_FIELDS.find(f => typeof line[f] === 'number' && Number.isFinite(line[f]) && line[f] > 0)
    if (field !== undefined) times.push(line[field])
  }
  return times.length > 0 ? median(times) : undefined
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** (max - min) / median of the runs a line reports (transfer: runsMs, coder: allMs); undefined with fewer than 2. */
export function spread (line: Line): number | undefined {
  const runs = (line.runsMs ?? line.allMs) as number[] | undefined
  if (runs === undefined || runs.length < 2) return undefined
  return (Math.max(...runs) - Math.min(...runs)) / median(runs)
}
