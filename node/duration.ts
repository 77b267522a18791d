// Durations for CLI flags and config: `500ms`, `5s`, `1.5s`, `10m`, `1h`, `2d`, and sums of them in Go's style
// (`1h30m`, `10m30s`). A unit is required: a bare `5` could mean seconds or milliseconds, and guessing wrong by 1000×
// is the kind of mistake a failure detector or a repair grace period must not make silently.
import { UsageError } from './errors.ts'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const UNITS = 'ms, s, m, h, d'
const TERM = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y

/** Milliseconds in `text`, rounded to a whole millisecond. Throws UsageError (ERR_USAGE) without a unit, with an
 *  unknown unit, or when negative. Takes one argument so it can be a commander `argParser`. */
export function parseDuration (text: string): number {
  const trimmed = String(text).trim()
  const fail = (why: string): never => {
    throw new UsageError(`invalid duration ${JSON.stringify(text)}: ${why} (units ${UNITS}; e.g. 500ms, 5s, 10m, 1h30m)`)
  }
  if (trimmed === '') fail('empty')
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) fail('a unit is required')
  if (trimmed.startsWith('-')) fail('must not be negative')
  let ms = 0
  TERM.lastIndex = 0
  while (TERM.lastIndex < trimmed.length) {
    const at = TERM.lastIndex
    const match = TERM.exec(trimmed)
    if (match === null) fail(`cannot read ${JSON.stringify(trimmed.slice(at))}`)
    else ms += Number(match[1]) * UNIT_MS[match[2]]
  }
  if (!Number.isSafeInteger(Math.round(ms))) fail('too long')
  return Math.round(ms)
}

/** A duration in the form parseDuration reads back exactly: `0s`, `500ms`, `1.5s`, `10m30s`, `1d2h`. */
export function formatDuration (ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  if (ms < 0) return `-${formatDuration(-ms)}`
  let rest = Math.round(ms)
  if (rest === 0) return '0s'
  if (rest < 1000) return `${rest}ms`
  let text = ''
  for (const unit of ['d', 'h', 'm'] as const) {
    const count = Math.floor(rest / UNIT_MS[unit])
    if (count > 0) text += `${count}${unit}`
    rest -= count * UNIT_MS[unit]
  }
  if (rest > 0) text += rest % 1000 === 0 ? `${rest / 1000}s` : `${(rest / 1000).toFixed(3).replace(/0+$/, '')}s`
  return text
}
