// The results file of `npm run bench` (bench/results/<timestamp>.json) and the figures the report reads from it.
// Every step keeps the JSON lines its bench printed, untouched; the functions below only pick them out per scheme.
import { REPLICA_CODEC_ID, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { parseDuration } from '../../node/duration.ts'
import { DEAD_AFTER_MS, DEFAULT_REPAIR_RATE, REPAIR_GRACE_MS } from '../../node/repair/constants.ts'
import { median } from '../measure.ts'

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
    /** Its parts, when it was composed from the daemon's defaults and bench:repair (absent in older results). */
    repairTime?: RepairTime
    /** 'wan' / 'wan-rate-only': the speed and repair steps ran on the emulated WAN of bench/wan/. */
    network: { profile: 'loopback' | 'wan' | 'wan-rate-only', reason: string }
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

/** A repair time for the durability model: how long a real swarm, with the daemon's default detection, takes from a
 *  peer's death until its shards are rebuilt. bench:repair runs with fast detection (e.g. dead after 3 s) so that it
 *  finishes; only the part of its figure beyond its own dead-after is data movement, which is kept. */
export interface RepairTime {
  totalMs: number
  /** The daemon's default wait before it rebuilds: deadAfterMs + repairGraceMs. */
  detectionMs: number
  /** node/repair/constants.ts DEAD_AFTER_MS and REPAIR_GRACE_MS (the daemon's --dead-after and --repair-grace defaults). */
  deadAfterMs: number
  repairGraceMs: number
  /** Median over bench:repair's schemes of (time to full redundancy − the --dead-after it ran with): the last
   *  heartbeat round, planning, reading k shards, rebuilding and pushing. */
  dataMovementMs: number
  /** Median time to full redundancy bench:repair measured, and the --dead-after and --repair-rate it ran with. */
  measuredMs: number
  benchDeadAfterMs: number
  benchRepairRate: string | null
}

/** The realistic repair time from bench:repair's lines (each carries medianMs and its detection flags), or undefined
 *  when they have none. */
export function composeRepairTime (lines: Line[]): RepairTime | undefined {
  const runs = lines.filter(l => typeof l.medianMs === 'number' && l.medianMs > 0 && typeof l.detection?.deadAfter === 'string')
  if (runs.length === 0) return undefined
  const benchDeadAfterMs = median(runs.map(l => parseDuration(l.detection.deadAfter)))
  const dataMovementMs = Math.max(0, median(runs.map(l => l.medianMs - parseDuration(l.detection.deadAfter))))
  const detectionMs = DEAD_AFTER_MS + REPAIR_GRACE_MS
  return {
    totalMs: detectionMs + dataMovementMs,
    detectionMs,
    deadAfterMs: DEAD_AFTER_MS,
    repairGraceMs: REPAIR_GRACE_MS,
    dataMovementMs,
    measuredMs: median(runs.map(l => l.medianMs)),
    benchDeadAfterMs,
    benchRepairRate: typeof runs[0].detection.repairRate === 'string' ? runs[0].detection.repairRate : null
  }
}

/** One sentence saying how the repair time was composed, for the report. */
export function describeRepairTime (t: RepairTime): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
  return `the daemon's default detection delay ${s(t.detectionMs)} (--dead-after ${s(t.deadAfterMs)} + --repair-grace ${s(t.repairGraceMs)}, ` +
    `node/repair/constants.ts) plus ${s(t.dataMovementMs)} of data movement measured by bench/repair.ts (median time to full redundancy ` +
    `${s(t.measuredMs)} minus the --dead-after ${s(t.benchDeadAfterMs)} it ran with${t.benchRepairRate !== null ? `; repair traffic at its --repair-rate ${t.benchRepairRate}, the daemon's default is ${DEFAULT_REPAIR_RATE / 1e6} MB/s` : ''}) ` +
    `= ${s(t.totalMs)}`
}

/** (max - min) / median of the runs a line reports (transfer: runsMs, coder: allMs); undefined with fewer than 2. */
export function spread (line: Line): number | undefined {
  const runs = (line.runsMs ?? line.allMs) as number[] | undefined
  if (runs === undefined || runs.length < 2) return undefined
  return (Math.max(...runs) - Math.min(...runs)) / median(runs)
}
