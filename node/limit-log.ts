// One event-log line when a peer meets a limit (docs/SECURITY.md, "Limits"; docs/LOGS.md, `limit.hit`), and no more
// than one per peer and limit per interval: a peer that floods a limit must not flood the log too. The first hit of a
// (peer, code) is logged at once; hits within the next interval are counted and logged as one line with their count
// when it ends (a timer that does not hold the process open); an interval with no hit forgets the pair, so the map
// holds only the pairs active in the last interval.
import { LIMIT_LOG_INTERVAL_MS } from './constants.ts'
import type { EventLog, LogFields } from './event-log.ts'

/** The codes that mean "a limit of this node was met" (the rest are failures, logged, if at all, by their operation). */
export const LIMIT_CODES = new Set(['ERR_BUSY', 'ERR_RATE_LIMITED', 'ERR_FRAME_TOO_LARGE', 'ERR_QUOTA_EXCEEDED'])

export interface LimitLogInit {
  log: EventLog
  intervalMs?: number
}

interface Window { peer: string, code: string, count: number, fields: LogFields, timer: ReturnType<typeof setTimeout> }

export class LimitLog {
  private readonly windows = new Map<string, Window>()
  private readonly intervalMs: number

  constructor (private readonly init: LimitLogInit) {
    this.intervalMs = init.intervalMs ?? LIMIT_LOG_INTERVAL_MS
  }

  /** `peer` (a peer id, or an HTTP client's address) met the limit of `code`; `fields` say where (protocol, route). */
  hit (peer: string, code: string, fields: LogFields = {}): void {
    const key = `${peer} ${code}`
    const open = this.windows.get(key)
    if (open !== undefined) {
      open.count++
      open.fields = fields
      return
    }
    this.init.log.warn('limit.hit', { peer, code, ...fields, count: 1 })
    this.open(key, peer, code, fields)
  }

  /** Log what is counted and forget every window (the node is stopping). */
  stop (): void {
    for (const window of this.windows.values()) {
      clearTimeout(window.timer)
      this.flush(window)
    }
    this.windows.clear()
  }

  private open (key: string, peer: string, code: string, fields: LogFields): void {
    const window: Window = { peer, code, count: 0, fields, timer: setTimeout(() => { this.close(key) }, this.intervalMs) }
    window.timer.unref?.()
    this.windows.set(key, window)
  }

  /** End of an interval: log its hits, if any, and keep watching for one more interval; forget the pair otherwise. */
  private close (key: string): void {
    const window = this.windows.get(key)
    if (window === undefined) return
    this.windows.delete(key)
    if (window.count === 0) return
    this.flush(window)
    this.open(key, window.peer, window.code, window.fields)
  }

  private flush (window: Window): void {
    if (window.count === 0) return
    this.init.log.warn('limit.hit', { peer: window.peer, code: window.code, ...window.fields, count: window.count })
  }
}

/** The stable code of `err` when it is a limit's refusal, else undefined. */
export function limitCodeOf (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && LIMIT_CODES.has(code) ? code : undefined
}
