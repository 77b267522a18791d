// A directory of a mirror-set version as the gateway shows it: its immediate children, as JSON for programs or as an
// HTML page for browsers. Every name comes from a publisher and is untrusted: escaped in the page, percent-encoded
// in links. docs/GATEWAY.md, "Mirror sets".
import type { DirectoryEntry, TreeListing } from '../mirror/types.ts'

export interface ListingEntry {
  name: string
  type: 'file' | 'directory'
  /** A file's size, or the total of the files under a directory. */
  size: number
  /** Files only. */
  cid?: string
  mode?: number
}

/** The JSON answer for a directory (`?format=json` or `Accept: application/json`): the version's facts as `ls`
 *  gives them, with its immediate children. */
export interface DirectoryListing extends Omit<TreeListing, 'entries'> {
  entries: ListingEntry[]
}

/** What `path` is in `entries`: one of them, a directory (the root, or a prefix of some), or nothing. */
export type PathKind = { kind: 'file', entry: DirectoryEntry } | { kind: 'directory' } | { kind: 'none' }

export function classifyPath (entries: DirectoryEntry[], path: string): PathKind {
  if (path === '') return { kind: 'directory' }
  const entry = entries.find(e => e.path === path)
  if (entry !== undefined) return { kind: 'file', entry }
  const prefix = `${path}/`
  return entries.some(e => e.path.startsWith(prefix)) ? { kind: 'directory' } : { kind: 'none' }
}

/** The immediate children of directory `path` ('' for the root), by name (UTF-16 code unit order, as sorted JSON). */
export function listDirectory (tree: TreeListing, path: string): DirectoryListing {
  const prefix = path === '' ? '' : `${path}/`
  const children = new Map<string, ListingEntry>()
  for (const entry of tree.entries) {
    if (!entry.path.startsWith(prefix)) continue
    const rest = entry.path.slice(prefix.length)
    const slash = rest.indexOf('/')
    if (slash === -1) {
      children.set(rest, { name: rest, type: 'file', size: entry.size, cid: entry.cid, mode: entry.mode })
      continue
    }
    const name = rest.slice(0, slash)
    const directory = children.get(name) ?? { name, type: 'directory', size: 0 }
    directory.size += entry.size
    children.set(name, directory)
  }
  const entries = [...children.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  return { address: tree.address, publisher: tree.publisher, seq: tree.seq, root: tree.root, publishedAt: tree.publishedAt, path, entries }
}

/**
 * JSON or HTML for a listing: `?format=json|html` decides; else the Accept header, with JSON only when the client
 * ranks application/json above text/html (browsers send text/html first; no Accept, or a tie, is HTML). The Accept
 * header is read after RFC 9110 §12.5.1 (media ranges, `q` weights, the most specific range applying), nothing more:
 * no other parameters, no other types (there are none to offer). No library for it is in the dependencies (the
 * `negotiator` of Express is not), and two types to choose from do not justify one.
 */
export function listingFormat (accept: string | undefined, format: string | null): 'json' | 'html' {
  if (format === 'json' || format === 'html') return format
  if (accept === undefined) return 'html'
  const ranges = parseAccept(accept)
  return weightOf(ranges, 'application', 'json') > weightOf(ranges, 'text', 'html') ? 'json' : 'html'
}

interface MediaRange { type: string, subtype: string, q: number }

/** At most this many media ranges are read from one Accept header: browsers send under 10; the rest is noise. */
const MAX_MEDIA_RANGES = 64

function parseAccept (accept: string): MediaRange[] {
  return accept.split(',').slice(0, MAX_MEDIA_RANGES).flatMap(part => {
    const [range, ...params] = part.split(';').map(s => s.trim().toLowerCase())
    const [type, subtype] = range.split('/')
    if (type === undefined || subtype === undefined || type === '' || subtype === '') return []
    const qParam = params.find(p => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    return Number.isFinite(q) && q >= 0 && q <= 1 ? [{ type, subtype, q }] : []
  })
}

/** The weight of type/subtype: that of the most specific range matching it (exact, then type/*, then *\/*); 0 if none. */
function weightOf (ranges: MediaRange[], type: string, subtype: string): number {
  const exact = ranges.find(r => r.type === type && r.subtype === subtype)
  const anySubtype = ranges.find(r => r.type === type && r.subtype === '*')
  const any = ranges.find(r => r.type === '*' && r.subtype === '*')
  return (exact ?? anySubtype ?? any)?.q ?? 0
}

/** Escape text for HTML element content and double-quoted attribute values (OWASP's five characters). */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

/** A relative link to a child of the listed directory: the name as one percent-encoded path segment (no '/', ':',
 *  '?' or '#' survive, so no name can become a scheme, a query or another directory). */
function childHref (entry: ListingEntry): string {
  return encodeURIComponent(entry.name) + (entry.type === 'directory' ? '/' : '')
}

/** Sizes as people read them (binary units, as `ls -h`); the exact count is in the cell's title. */
function humanSize (bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

function isoDate (ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? 'an unknown date' : date.toISOString()
}

/**
 * The HTML page of a listing. `versionHref` is the absolute path of this directory in the pinned version
 * (/m/PEERID/NAME@SEQ/PATH/): the page links to it, so a listing of the newest version can be kept as it is.
 */
export function renderListingHtml (listing: DirectoryListing, name: string, versionHref: string): string {
  const title = `${name}@${listing.seq}/${listing.path === '' ? '' : `${listing.path}/`}`
  const rows = listing.entries.map(entry => {
    const label = entry.name + (entry.type === 'directory' ? '/' : '')
    return `<tr><td><a href="${escapeHtml(childHref(entry))}">${escapeHtml(label)}</a></td><td title="${entry.size} bytes">${humanSize(entry.size)}</td></tr>`
  })
  if (listing.path !== '') rows.unshift('<tr><td><a href="../">../</a></td><td></td></tr>')
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2em}td{padding:.2em 1.5em .2em 0}td+td{text-align:right}small{color:#666}</style>',
    '</head><body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p><small>publisher ${escapeHtml(listing.publisher)}, version <a href="${escapeHtml(versionHref)}">${listing.seq}</a> published ${escapeHtml(isoDate(listing.publishedAt))}, root ${escapeHtml(listing.root)}</small></p>`,
    `<table><thead><tr><th>name</th><th>size</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
    '</body></html>',
    ''
  ].join('\n')
}
