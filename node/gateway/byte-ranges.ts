// What a GET asks for, after RFC 9110 §14 (Range) and §13.1.5 (If-Range): the whole file, some byte ranges of it, or
// nothing it can have (416). The Range header is parsed by range-parser (the parser of Express's `send`); this file
// only applies the RFC's rules on top of it.
import parseRange from 'range-parser'
import type { ByteRange } from '../../coder/layout.ts'
import { entityTagMatches } from './entity-tags.ts'

/**
 * More ranges than this in one request are answered with the whole file: RFC 9110 §14.2 lets a server ignore a Range
 * of many small ranges (a denial-of-service shape: each range costs a stripe read and a part header).
 */
export const MAX_RANGES = 16

export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial', ranges: ByteRange[] }
  | { kind: 'unsatisfiable' }

/**
 * `range` and `ifRange` are the request's header values; `etag` the file's strong entity tag. Half-open ranges
 * ([start, end)), in the order asked, overlapping and adjacent ones merged (§14.2 allows it; it also stops a request
 * from asking the same bytes many times).
 */
export function decideRanges (size: number, etag: string, range: string | undefined, ifRange: string | undefined): RangeDecision {
  if (range === undefined) return { kind: 'full' }
  // §13.1.5: a Range whose If-Range does not match is ignored. The validator must be a strong tag equal to ours; a date
  // can never match, since there is no Last-Modified (content is addressed by CID).
  if (ifRange !== undefined && !entityTagMatches(ifRange.trim(), etag, 'strong')) return { kind: 'full' }
  const parsed = parseRange(size, longSuffixesAsWhole(range, size), { combine: true })
  // -2: not a valid Range; §14.2 lets the server ignore it (as nginx and Apache do).
  if (parsed === -2) return { kind: 'full' }
  // §14.1: a range unit this server does not know is ignored too.
  if (parsed !== -1 && parsed.type !== 'bytes') return { kind: 'full' }
  if (parsed === -1) return { kind: 'unsatisfiable' }
  if (parsed.length > MAX_RANGES) return { kind: 'full' }
  return { kind: 'partial', ranges: parsed.map(r => ({ start: r.start, end: r.end + 1 })) }
}

/**
 * §14.1.3: a suffix range longer than the representation selects all of it (`bytes=-5000` of a 100-byte file is bytes
 * 0-99). range-parser counts it unsatisfiable instead, so such a spec is rewritten as `0-` first.
 */
function longSuffixesAsWhole (range: string, size: number): string {
  return range.replace(/(=|,)\s*-(\d+)\s*(?=,|$)/g, (spec, separator: string, length: string) => Number(length) > size ? `${separator}0-` : spec)
}
