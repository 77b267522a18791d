// The repair queue of one node: files this node leads the repair of (leader.ts), by urgency.
//
// Priority: fewest live shards above k first (a file at exactly k is one loss from gone), then the oldest problem
// (time first queued), then CID for a stable order. A file below k is lost: it cannot be rebuilt, so it is kept
// apart and reported, and comes back into the queue if enough holders reappear. A file with all k + m live is
// healthy and leaves the queue.
//
// When a job may start:
//   - grace (`notBefore`): a suspected holder may be back in seconds, so its files wait (REPAIR_GRACE_MS). Urgent
//     jobs (live = k) do not wait for it.
//   - backoff: after a failed attempt, base · 2^(attempt-1) capped, half of it random (equal jitter), from an
//     injected random source; after maxAttempts the job is parked with its last error until re-added worse or
//     retried by hand. Backoff applies to urgent jobs too: retrying a failing repair at once does not make it work.
//   - carbon: a job with at least k + margin live shards, the first time it is due, may be deferred once to the start
//     of a greener window of the forecast within a bounded delay (carbon-deferral.ts). Never an urgent one.
//
// One call hands a job out (next) and marks it running until done() or failed(). Pure: time is an argument.
// Jobs are scanned linearly: a node leads repairs for at most thousands of files, and re-adding (which changes a
// job's priority) would need a decrease-key a binary heap does not have.
import { backoffDelay } from '../backoff.ts'
import { InvalidParametersError } from '../../coder/errors.ts'
import { chooseRepairTime, type ForecastWindow } from './carbon-deferral.ts'
import {
  CARBON_DEFER_MARGIN, CARBON_MAX_DELAY_MS, CARBON_MIN_IMPROVEMENT, REPAIR_BACKOFF_BASE_MS, REPAIR_BACKOFF_MAX_MS,
  REPAIR_MAX_ATTEMPTS
} from './constants.ts'

export interface RepairRequest {
  cid: string
  k: number
  /** Total shards, k + m. */
  n: number
  /** Distinct shard indexes with a live holder. */
  live: number
  /** Earliest start (grace for a suspected holder); default now. Urgent jobs ignore it. Re-adding keeps the earlier. */
  notBefore?: number
  /** Why the job exists, for status (e.g. "holder 12D3…xyz dead"). */
  reason?: string
}

export type JobState = 'queued' | 'waiting' | 'deferred' | 'backoff' | 'running' | 'parked' | 'lost'

export interface RepairJob {
  cid: string
  k: number
  n: number
  live: number
  reason: string
  /** live ≤ k: no redundancy left. */
  urgent: boolean
  /** When the job was first queued (its age orders equal urgencies). */
  queuedAt: number
  notBefore: number
  attempts: number
  /** Not before this, after a failure. */
  retryAt: number
  lastError?: string
  /** Carbon deferral, decided once, the first time the job was due. */
  deferredUntil?: number
  carbonNote?: string
  running: boolean
  parked: boolean
}

export interface JobStatus {
  cid: string
  state: JobState
  live: number
  k: number
  n: number
  urgent: boolean
  queuedAt: number
  /** When it may start (now or earlier when due; undefined while running, parked or lost). */
  dueAt?: number
  attempts: number
  reason: string
  lastError?: string
  /** Carbon deferral note (deferred until when and why, or why not). */
  carbonNote?: string
}

/** What the carbon provider knows now: the current intensity and the forecast ahead. */
export interface CarbonOutlook {
  current: number
  forecast: readonly ForecastWindow[]
}

export interface RepairQueueOptions {
  /** Uniform [0, 1) for backoff jitter; seed it in tests. */
  random?: () => number
  backoffBaseMs?: number
  backoffMaxMs?: number
  maxAttempts?: number
  /** Carbon outlook; without it (or when it returns undefined) nothing is deferred. */
  carbon?: () => CarbonOutlook | undefined
  carbonMargin?: number
  carbonMaxDelayMs?: number
  carbonMinImprovement?: number
}

/** What add() did with a request. */
export type AddResult = 'queued' | 'updated' | 'lost' | 'healthy'

export class RepairQueue {
  private readonly jobs = new Map<string, RepairJob>()
  private readonly lostJobs = new Map<string, RepairJob>()
  private readonly random: () => number
  private readonly backoffBaseMs: number
  private readonly backoffMaxMs: number
  private readonly maxAttempts: number
  private readonly carbonMargin: number
  private readonly carbonMaxDelayMs: number
  private readonly carbonMinImprovement: number

  constructor (private readonly options: RepairQueueOptions = {}) {
    this.random = options.random ?? Math.random
    this.backoffBaseMs = options.backoffBaseMs ?? REPAIR_BACKOFF_BASE_MS
    this.backoffMaxMs = options.backoffMaxMs ?? REPAIR_BACKOFF_MAX_MS
    this.maxAttempts = options.maxAttempts ?? REPAIR_MAX_ATTEMPTS
    this.carbonMargin = options.carbonMargin ?? CARBON_DEFER_MARGIN
    this.carbonMaxDelayMs = options.carbonMaxDelayMs ?? CARBON_MAX_DELAY_MS
    this.carbonMinImprovement = options.carbonMinImprovement ?? CARBON_MIN_IMPROVEMENT
  }

  /** Queue a file, or update its job (live count, grace) if it is already known. */
  add (request: RepairRequest, now: number): AddResult {
    checkRequest(request)
    const { cid } = request
    const known = this.jobs.get(cid) ?? this.lostJobs.get(cid)
    if (request.live >= request.n) {
      this.remove(cid)
      return 'healthy'
    }
    const job: RepairJob = known ?? {
      cid, k: request.k, n: request.n, live: request.live, reason: '', urgent: false, queuedAt: now, notBefore: now,
      attempts: 0, retryAt: now, running: false, parked: false
    }
    // A parked job stays parked unless things got worse: then it is worth trying again from scratch.
    if (job.parked && request.live < job.live) {
      job.parked = false
      job.attempts = 0
      job.retryAt = now
    }
    job.k = request.k
    job.n = request.n
    job.live = request.live
    job.urgent = request.live <= request.k
    job.notBefore = Math.min(known === undefined ? Infinity : job.notBefore, request.notBefore ?? now)
    if (request.reason !== undefined) job.reason = request.reason
    this.jobs.delete(cid)
    this.lostJobs.delete(cid)
    if (request.live < request.k) {
      this.lostJobs.set(cid, job)
      return 'lost'
    }
    this.jobs.set(cid, job)
    return known === undefined ? 'queued' : 'updated'
  }

  /** Forget a file (healthy again, no longer ours to lead, or deleted). */
  remove (cid: string): boolean {
    return this.jobs.delete(cid) || this.lostJobs.delete(cid)
  }

  /** The most urgent job that may start now, marked running; undefined if none is due. May defer jobs for carbon. */
  next (now: number): RepairJob | undefined {
    for (const job of this.ordered()) {
      if (job.running || job.parked || this.dueAt(job) > now) continue
      if (this.maybeDefer(job, now)) continue
      job.running = true
      return { ...job }
    }
    return undefined
  }

  /** The running job succeeded: it leaves the queue (re-add it if the file still needs work). */
  done (cid: string): void {
    const job = this.jobs.get(cid)
    if (job?.running === true) this.jobs.delete(cid)
  }

  /** The running job failed: retry after a backoff, or park it after maxAttempts. */
  failed (cid: string, now: number, error: string): 'backoff' | 'parked' | undefined {
    const job = this.jobs.get(cid)
    if (job === undefined) return undefined
    job.running = false
    job.attempts++
    job.lastError = error
    if (job.attempts >= this.maxAttempts) {
      job.parked = true
      job.lastError = `gave up after ${job.attempts} attempts: ${error}`
      return 'parked'
    }
    job.retryAt = now + backoffDelay(job.attempts, this.backoffBaseMs, this.backoffMaxMs, this.random)
    return 'backoff'
  }

  /** Try a parked job again (a user asked: `edgemirror repair <cid>`). */
  retry (cid: string, now: number): boolean {
    const job = this.jobs.get(cid)
    if (job === undefined || !job.parked) return false
    job.parked = false
    job.attempts = 0
    job.retryAt = now
    return true
  }

  get (cid: string): RepairJob | undefined {
    const job = this.jobs.get(cid) ?? this.lostJobs.get(cid)
    return job === undefined ? undefined : { ...job }
  }

  /** Files below k, by CID. */
  lost (): RepairJob[] {
    return [...this.lostJobs.values()].sort((a, b) => a.cid < b.cid ? -1 : 1).map(j => ({ ...j }))
  }

  /** Jobs in the queue (lost files not counted). */
  get size (): number {
    return this.jobs.size
  }

  /** When the next job may become due (for the owner's timer): the earliest due time among idle jobs. */
  nextDueAt (): number | undefined {
    const times = [...this.jobs.values()].filter(j => !j.running && !j.parked).map(j => this.dueAt(j))
    return times.length === 0 ? undefined : Math.min(...times)
  }

  /** Every job in priority order, then the lost files, with what each is waiting for. */
  snapshot (now: number): JobStatus[] {
    const status = (job: RepairJob, state: JobState, dueAt?: number): JobStatus => ({
      cid: job.cid, state, live: job.live, k: job.k, n: job.n, urgent: job.urgent, queuedAt: job.queuedAt, dueAt,
      attempts: job.attempts, reason: job.reason, lastError: job.lastError, carbonNote: job.carbonNote
    })
    const queued = this.ordered().map(job => {
      if (job.running) return status(job, 'running')
      if (job.parked) return status(job, 'parked')
      return status(job, this.waitingFor(job, now), this.dueAt(job))
    })
    return [...queued, ...this.lost().map(job => status(job, 'lost'))]
  }

  private ordered (): RepairJob[] {
    return [...this.jobs.values()].sort((a, b) => (a.live - a.k) - (b.live - b.k) || a.queuedAt - b.queuedAt || (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0))
  }

  private deferrable (job: RepairJob): boolean {
    return !job.urgent && job.live >= job.k + this.carbonMargin
  }

  private dueAt (job: RepairJob): number {
    if (job.urgent) return job.retryAt
    const deferred = this.deferrable(job) ? job.deferredUntil ?? -Infinity : -Infinity
    return Math.max(job.retryAt, job.notBefore, deferred)
  }

  private waitingFor (job: RepairJob, now: number): JobState {
    if (job.retryAt > now) return 'backoff'
    if (this.dueAt(job) <= now) return 'queued'
    return this.deferrable(job) && (job.deferredUntil ?? -Infinity) > now ? 'deferred' : 'waiting'
  }

  /** Decide carbon deferral once per job, the first time it is due. True if it now waits. */
  private maybeDefer (job: RepairJob, now: number): boolean {
    if (job.carbonNote !== undefined || !this.deferrable(job)) return false
    const outlook = this.options.carbon?.()
    if (outlook === undefined) return false
    const choice = chooseRepairTime(now, outlook.forecast, outlook.current, this.carbonMaxDelayMs, this.carbonMinImprovement)
    job.carbonNote = choice.reason
    if (!choice.deferred) return false
    job.deferredUntil = choice.at
    return true
  }
}

function checkRequest (request: RepairRequest): void {
  const { k, n, live } = request
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(n) || n < k || !Number.isInteger(live) || live < 0 || live > n) {
    throw new InvalidParametersError(`bad repair request for ${request.cid}: k=${k} n=${n} live=${live}`, { cid: request.cid, k, n, live })
  }
}
