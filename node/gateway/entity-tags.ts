// Entity tags after RFC 9110 §8.8.3: a file's tag is its CID, quoted. Content addressed by CID never changes, so the
// tag is strong and every cache may keep the response forever.

/** The entity tag of the file `cid`. */
export function entityTagOf (cid: string): string {
  return `"${cid}"`
}

/**
 * Whether `header` (one tag, or for If-None-Match a comma-separated list or `*`) matches `etag`. Strong comparison
 * (§8.8.3.2, for If-Range) needs both tags strong and equal; weak comparison (If-None-Match) ignores the W/ prefix.
 */
export function entityTagMatches (header: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  if (comparison === 'weak' && header.trim() === '*') return true
  const tags = comparison === 'strong' ? [header.trim()] : header.split(',').map(t => t.trim())
  return tags.some(tag => {
    if (tag.startsWith('W/')) return comparison === 'weak' && tag.slice(2) === etag
    return tag === etag
  })
}
