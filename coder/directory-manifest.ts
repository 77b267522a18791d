// The directory manifest of a mirror set version: which file (by CID) is at which path. Format: docs/MIRRORS.md.

/** One regular file of a published tree. */
export interface DirectoryEntry {
  /** Relative POSIX path ('docs/index.html'): no leading '/', no '.' or '..' segments, no empty segments. */
  path: string
  /** CID of the file (its manifest), as `share` gives it. */
  cid: string
  size: number
  /** Permission bits (0o777 at most: no setuid, setgid or sticky bit). */
  mode: number
}
