// What mirror sets answer: the control API carries these as they are (node/api/types.ts re-exports them). The model,
// records and guarantees: docs/MIRRORS.md.
import type { ProgressEvent } from '../../coder/progress.ts'
import type { DirectoryEntry } from '../../coder/directory-manifest.ts'
import type { FetchStart } from '../fetch/types.ts'
import type { VersionRecord } from './version-record.ts'

export type { DirectoryEntry } from '../../coder/directory-manifest.ts'

/** A version record as JSON shows it: the signed fields (node/mirror/version-record.ts), its address, and the
 *  signature in base64. */
export interface VersionRecordView extends Omit<VersionRecord, 'signature'> {
  /** PEERID/NAME */
  address: string
  signature: string
}

export interface PublishOptions {
  /** Absolute path of the directory, read by the daemon. */
  dir: string
  name: string
  /** Versions whose files stay stored; older ones are deleted (their files, unless a kept version has them). */
  keep?: number
  k: number
  m: number
  allowFewerPeers?: boolean
  signal?: AbortSignal
  onProgress?: (event: ProgressEvent) => void
}

/** A path of the published directory left out of the version, and why (a symlink, a device, a name that is not
 *  UTF-8…): docs/MIRRORS.md, "What a version holds". */
export interface SkippedPath { path: string, reason: string }

export interface PublishResult {
  address: string
  seq: number
  root: string
  files: number
  bytes: number
  /** Bytes of files this version shared for the first time (unchanged files cost nothing). */
  newBytes: number
  /** Files shared anew (changed or added). */
  newFiles: number
  record: VersionRecordView
  skipped: SkippedPath[]
  /** Versions older than --keep whose files were deleted (tombstones sent), and the bytes that gives back. */
  expired: { versions: number[], files: number, bytes: number }
  /** Peers the record reached at once (the rest get it when they next sync records). */
  announcedTo: number
}

export interface MirrorView {
  address: string
  role: 'publisher' | 'follower'
  /** The followed directory (a symlink to DIR.versions/<seq>), or the published one; null when unknown. */
  dir: string | null
  /** The version DIR shows (follower) or the last published (publisher); null before the first sync. */
  seq: number | null
  /** The newest valid record this node holds for the address. */
  newest: number | null
  /** Bytes of the version DIR shows (or of the last published one). */
  bytes: number | null
  /** When DIR last switched to a new version (follower) or the last publish (publisher), Unix ms. */
  lastSync: number | null
  /** 'syncing' while a version is being built beside the current one; 'error' after a failed sync (retried). */
  state: 'idle' | 'syncing' | 'error'
  error?: { code: string, message: string }
  /** The last switch of a follower (since the daemon started): what it fetched and reused, and where the time went. */
  lastSwitch?: SwitchStats
}

export interface SwitchStats {
  seq: number
  /** Files and bytes fetched from the swarm; files reused from the version before (hard links or copies). */
  fetchedFiles: number
  fetchedBytes: number
  reusedFiles: number
  /** When the sync began and when DIR switched (Unix ms), and the time spent reading the directory manifest and
   *  building the tree (fetching, linking, fsync, rename). */
  startedAt: number
  switchedAt: number
  treeMs: number
  buildMs: number
}

/** One version's tree, or the part of it under `path`. */
export interface TreeListing {
  address: string
  publisher: string
  seq: number
  root: string
  publishedAt: number
  /** '' for the whole tree, else the directory listed (no leading or trailing slash). */
  path: string
  entries: DirectoryEntry[]
}

/** A file of a mirror set being read: the fetch, plus which version and publisher it came from. */
export interface MirrorFetchStart extends FetchStart {
  address: string
  publisher: string
  seq: number
  path: string
  /** True when it was read from this node's followed copy (no swarm traffic). */
  local: boolean
}
