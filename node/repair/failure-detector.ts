// The phi-accrual failure detector (Hayashibara, Défago, Yared, Katayama, "The φ Accrual Failure Detector", SRDS
// 2004), as Akka and Cassandra run it. Instead of a yes/no timeout it gives a suspicion level phi = -log10(P(a
// heartbeat arrives later than now)), with inter-arrival times modelled as a normal distribution over a sliding
// window. phi adapts to each peer's link: a peer on jittery LTE is given more slack than one on a LAN.
//
// On top of phi, a hard limit: a peer silent for deadAfterMs is dead whatever the statistics say (the suspect → dead
// split of SWIM and Ceph): suspicion is cheap and reversible, death starts repair.
//
// Pure: no timers. The owner feeds heartbeats and calls poll() on its own schedule with an injected clock.
import { InvalidParametersError } from '../../coder/errors.ts'
import { monotonicNow } from '../clock.ts'
import {
  ACCEPTABLE_HEARTBEAT_PAUSE_MS, DEAD_AFTER_MS, HEARTBEAT_INTERVAL_MS, MAX_SAMPLE_SIZE, MAX_SAMPLED_INTERVAL_MS,
  MIN_STD_DEVIATION_MS, PHI_SUSPECT_THRESHOLD
} from './constants.ts'

export type PeerState = 'alive' | 'suspect' | 'dead'

export interface FailureDetectorOptions {
  /** ms clock; monotonicNow (node/clock.ts: never steps) unless a test injects one. A clock that steps back anyway is
   *  survived: a peer's last heartbeat is never taken to be later than now (see clampToNow). */
  now?: () => number
  /** phi ≥ this → suspect (default 8, Akka). */
  threshold?: number
  /** No heartbeat for this long → dead (default 60 s). */
  deadAfterMs?: number
  /** Expected heartbeat interval: seeds a peer's history before real samples exist (Akka's first-heartbeat-estimate). */
  heartbeatIntervalMs?: number
  minStdDeviationMs?: number
  acceptablePauseMs?: number
  maxSampleSize?: number
  /** Intervals at least this long are not sampled (default deadAfterMs). */
  maxSampledIntervalMs?: number
}

/** A change of a peer's state seen by poll(). */
export interface StateChange {
  peer: string
  from: PeerState
  to: PeerState
  /** When poll() saw it. */
  at: number
  phi: number
}

/** What the detector knows about one peer, for `edgemirror status` and logs. */
export interface PeerHealth {
  peer: string
  state: PeerState
  phi: number
  /** ms epoch of the last heartbeat, or of track() if none came since. */
  lastHeartbeatAt: number
  /** False while only track() has been called. */
  heard: boolean
  meanIntervalMs: number
  stdDeviationMs: number
  samples: number
  /** Since when the state last reported by poll() holds. */
  since: number
}

/** Inter-arrival samples in a ring buffer, with running sums for O(1) mean and variance. */
class IntervalWindow {
  private readonly values: number[] = []
  private next = 0
  private sum = 0
  private sumOfSquares = 0

  constructor (private readonly capacity: number) {}

  add (value: number): void {
    if (this.values.length === this.capacity) {
      const old = this.values[this.next]
      this.sum -= old
      this.sumOfSquares -= old * old
      this.values[this.next] = value
      this.next = (this.next + 1) % this.capacity
    } else {
      this.values.push(value)
    }
    this.sum += value
    this.sumOfSquares += value * value
  }

  get size (): number { return this.values.length }
  get mean (): number { return this.sum / this.values.length }
  get stdDeviation (): number {
    const mean = this.mean
    return Math.sqrt(Math.max(this.sumOfSquares / this.values.length - mean * mean, 0))
  }
}

interface PeerRecord {
  last: number
  heard: boolean
  intervals: IntervalWindow
  reported: PeerState
  since: number
}

/** phi for `elapsed` ms of silence given the interval distribution; the logistic approximation of the normal CDF
 *  (Bowling et al. 2009) that Akka uses, accurate to 1.4e-4 and cheap. */
export function phiOf (elapsed: number, mean: number, stdDeviation: number): number {
  const y = (elapsed - mean) / stdDeviation
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y))
  return elapsed > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e))
}

export class FailureDetector {
  private readonly records = new Map<string, PeerRecord>()
  private readonly now: () => number
  readonly threshold: number
  readonly deadAfterMs: number
  private readonly heartbeatIntervalMs: number
  private readonly minStdDeviationMs: number
  private readonly acceptablePauseMs: number
  private readonly maxSampleSize: number
  private readonly maxSampledIntervalMs: number

  constructor (options: FailureDetectorOptions = {}) {
    this.now = options.now ?? monotonicNow
    this.threshold = positive('threshold', options.threshold ?? PHI_SUSPECT_THRESHOLD)
    this.deadAfterMs = positive('deadAfterMs', options.deadAfterMs ?? DEAD_AFTER_MS)
    this.heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS)
    this.minStdDeviationMs = positive('minStdDeviationMs', options.minStdDeviationMs ?? MIN_STD_DEVIATION_MS)
    this.acceptablePauseMs = nonNegative('acceptablePauseMs', options.acceptablePauseMs ?? ACCEPTABLE_HEARTBEAT_PAUSE_MS)
    this.maxSampleSize = positive('maxSampleSize', options.maxSampleSize ?? MAX_SAMPLE_SIZE)
    this.maxSampledIntervalMs = positive('maxSampledIntervalMs', options.maxSampledIntervalMs ?? (options.deadAfterMs ?? MAX_SAMPLED_INTERVAL_MS))
  }

  /** A heartbeat (or any message: all traffic proves life) from `peer` arrived now. */
  heartbeat (peer: string): void {
    const at = this.now()
    const record = this.records.get(peer)
    if (record === undefined) {
      this.records.set(peer, { ...this.fresh(at), heard: true })
      return
    }
    const interval = at - record.last
    if (interval < 0) {
      this.clampToNow(record, at)
      record.heard = true
      return
    }
    // A silence the detector calls death is an outage, not a sample of the link (Cassandra drops such intervals too).
    if (interval < this.maxSampledIntervalMs) record.intervals.add(interval)
    record.last = at
    record.heard = true
  }

  /** Start watching a peer that has not sent anything yet (e.g. a holder named in a shard report): it is alive now and
   *  becomes suspect, then dead, on the same schedule as a peer that fell silent. No-op for a peer already watched. */
  track (peer: string): void {
    if (!this.records.has(peer)) this.records.set(peer, this.fresh(this.now()))
  }

  /** Stop watching a peer (it left for good, or it holds nothing of ours any more). */
  forget (peer: string): void {
    this.records.delete(peer)
  }

  /** Suspicion level now; Infinity for a peer never seen. */
  phi (peer: string): number {
    const record = this.records.get(peer)
    if (record === undefined) return Infinity
    return this.phiAt(record, this.now())
  }

  /** 'dead' for a peer never seen: there is no evidence it is alive (call track() to give it time). */
  state (peer: string): PeerState {
    const record = this.records.get(peer)
    if (record === undefined) return 'dead'
    return this.stateAt(record, this.now())
  }

  isAlive (peer: string): boolean {
    return this.state(peer) === 'alive'
  }

  /** State changes since the last poll, in peer order. A service calls this on a timer (e.g. every heartbeat
   *  interval) and reacts: suspect → queue repairs with a grace period, dead → repair now, alive → cancel. */
  poll (): StateChange[] {
    const at = this.now()
    const changes: StateChange[] = []
    for (const peer of this.peers()) {
      const record = this.records.get(peer) as PeerRecord
      this.clampToNow(record, at)
      const to = this.stateAt(record, at)
      if (to !== record.reported) {
        changes.push({ peer, from: record.reported, to, at, phi: this.phiAt(record, at) })
        record.reported = to
        record.since = at
      }
    }
    return changes
  }

  /** Watched peers, sorted. */
  peers (): string[] {
    return [...this.records.keys()].sort()
  }

  health (peer: string): PeerHealth | undefined {
    const record = this.records.get(peer)
    if (record === undefined) return undefined
    const at = this.now()
    return {
      peer,
      state: this.stateAt(record, at),
      phi: this.phiAt(record, at),
      lastHeartbeatAt: record.last,
      heard: record.heard,
      meanIntervalMs: record.intervals.mean,
      stdDeviationMs: record.intervals.stdDeviation,
      samples: record.intervals.size,
      since: record.since
    }
  }

  snapshot (): PeerHealth[] {
    return this.peers().map(p => this.health(p) as PeerHealth)
  }

  private fresh (at: number): PeerRecord {
    // Akka seeds a new history with the expected interval ± a quarter of it, so phi is meaningful from the start.
    const intervals = new IntervalWindow(this.maxSampleSize)
    intervals.add(this.heartbeatIntervalMs * 0.75)
    intervals.add(this.heartbeatIntervalMs * 1.25)
    return { last: at, heard: false, intervals, reported: 'alive', since: at }
  }

  /** The clock went back past a peer's last heartbeat: take that heartbeat as arrived now (the latest it can have been
   *  on the new clock), so the peer's silence counts from here and it dies deadAfterMs later at most, instead of only
   *  once the clock has caught up with the step. The outage interval is not sampled: no interval is known. */
  private clampToNow (record: PeerRecord, at: number): void {
    if (record.last > at) record.last = at
  }

  private phiAt (record: PeerRecord, at: number): number {
    const mean = record.intervals.mean + this.acceptablePauseMs
    const stdDeviation = Math.max(record.intervals.stdDeviation, this.minStdDeviationMs)
    return phiOf(at - record.last, mean, stdDeviation)
  }

  private stateAt (record: PeerRecord, at: number): PeerState {
    if (at - record.last >= this.deadAfterMs) return 'dead'
    return this.phiAt(record, at) >= this.threshold ? 'suspect' : 'alive'
  }
}

function positive (name: string, value: number): number {
  if (!(value > 0)) throw new InvalidParametersError(`${name} must be > 0, got ${value}`, { [name]: value })
  return value
}

function nonNegative (name: string, value: number): number {
  if (!(value >= 0)) throw new InvalidParametersError(`${name} must be ≥ 0, got ${value}`, { [name]: value })
  return value
}
