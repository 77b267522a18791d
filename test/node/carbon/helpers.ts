// Shared by the carbon tests: a clock the test moves by hand, series documents relative to it, a deadline poll.
import type { Clock } from '../../../node/carbon/index.ts'
import { pollUntil } from '../../harness/poll.ts'

export const HOUR = 60 * 60_000
/** A fixed, round start time so documents are easy to read in failures. */
export const T0 = Date.parse('2025-03-01T12:00:00Z')

export interface FakeClock extends Clock {
  advance (ms: number): void
  /** Timers set and not yet fired or cleared, oldest first. */
  readonly pending: Array<{ fn: () => void, ms: number, id: number }>
  /** Fires the oldest pending timer (what the real clock would do after its delay). */
  fireNext (): void
}

export function fakeClock (start = T0): FakeClock {
  let now = start
  let nextId = 1
  const pending: FakeClock['pending'] = []
  return {
    now: () => now,
    advance: (ms) => { now += ms },
    pending,
    setTimeout: (fn, ms) => { const id = nextId++; pending.push({ fn, ms, id }); return id },
    clearTimeout: (handle) => {
      const i = pending.findIndex(t => t.id === handle)
      if (i >= 0) pending.splice(i, 1)
    },
    fireNext: () => { const t = pending.shift(); if (t === undefined) throw new Error('no timer pending'); t.fn() }
  }
}

/** Carbon Aware SDK EmissionsData: hourly entries, the first starting at `start`. */
export function sdkDoc (start: number, ratings: number[], location = 'westeurope'): string {
  return JSON.stringify(ratings.map((rating, i) => ({ location, time: new Date(start + i * HOUR).toISOString(), rating, duration: '01:00:00' })))
}

/** Electricity Maps history: hourly entries, the first at `start`. */
export function mapsHistoryDoc (start: number, intensities: Array<number | null>, zone = 'DE'): string {
  return JSON.stringify({ zone, history: intensities.map((carbonIntensity, i) => ({ zone, carbonIntensity, datetime: new Date(start + i * HOUR).toISOString() })) })
}

/** Resolves once `condition()` holds; fails after `deadlineMs` (never a fixed sleep). */
export async function waitFor (condition: () => boolean, deadlineMs = 5000): Promise<void> {
  if (!(await pollUntil(deadlineMs, condition, 5))) throw new Error('condition not met before the deadline')
}
