// Byte sizes and byte rates for CLI flags and config: `--capacity 500GB`, `--capacity 2TiB`, `--repair-rate 10MB/s`.
// Decimal prefixes are powers of 1000 (SI, as disk vendors and network links count), binary ones powers of 1024
// (IEC 80000-13: KiB, MiB, …). A unit is required (`B` for bytes): `--capacity 500` could mean bytes or gigabytes.
// Units are read case-insensitively (`mb` = MB) and always mean bytes, never bits.
import { UsageError } from './errors.ts'

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50
}
const UNITS = 'B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB'

/** Bytes in `text` (`4GiB`, `1.5MB`, `512 KiB`, `100B`), rounded to a whole byte. Throws UsageError (ERR_USAGE)
 *  without a unit or with an unknown one. Takes one argument so it can be a commander `argParser`. */
export function parseSize (text: string): number {
  return parseWithUnit(text, 'size', UNIT_BYTES, `units ${UNITS}; e.g. 500GB, 2TiB, 1.5MB`)
}

/** Bytes per second in `text` (`10MB/s`, `50MiB/s`). The `/s` is required, so a size is never taken for a rate. */
export function parseRate (text: string): number {
  const trimmed = String(text).trim()
  const match = /^(.*?)\s*\/\s*s$/i.exec(trimmed)
  if (match === null) throw new UsageError(`invalid rate ${JSON.stringify(text)}: want a size per second, e.g. 10MB/s, 50MiB/s`)
  const bytes = parseWithUnit(match[1], 'rate', UNIT_BYTES, 'e.g. 10MB/s, 50MiB/s')
  if (bytes === 0) throw new UsageError(`invalid rate ${JSON.stringify(text)}: must be more than 0`)
  return bytes
}

/** A size for people, the one unit system of human output: binary IEC units (KiB = 1024 B, MiB, GiB, …; IEC 80000-13),
 *  up to 3 significant digits (`1.5 MiB`, `512 B`, `2 TiB`), as the progress bars count. */
export function formatSize (bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes)
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 1023.5 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const digits = unit === 0 ? String(Math.round(value)) : String(Number(value.toPrecision(3)))
  return `${bytes < 0 ? '-' : ''}${digits} ${units[unit]}`
}

function parseWithUnit (text: string, what: string, units: Record<string, number>, hint: string): number {
  const trimmed = String(text).trim()
  const fail = (why: string): never => {
    throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: ${why} (${hint})`)
  }
  const match = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i.exec(trimmed)
  if (match === null) return fail(trimmed.startsWith('-') ? 'must not be negative' : 'want a number and a unit')
  if (match[2] === '') return fail('a unit is required')
  const scale = units[match[2].toLowerCase()]
  if (scale === undefined) return fail(`unknown unit ${JSON.stringify(match[2])}`)
  const value = Math.round(Number(match[1]) * scale)
  if (!Number.isSafeInteger(value)) return fail('too large')
  return value
}
