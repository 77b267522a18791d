// Following mirror sets: for each followed address the daemon keeps a local directory equal to the newest version it
// holds a record for. A new record (pushed, pulled, or found on start) starts a sync: the version's tree is read, the
// files whose CID the current version does not have are fetched and verified, the new tree is built beside the old
// one and DIR is switched to it atomically (node/mirror/mirror-directory.ts). A sync that fails is retried with
// backoff; one killed midway resumes on the next start. docs/MIRRORS.md, "Following".
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { logger } from '@libp2p/logger'
import { KeyRequiredError, ManifestInvalidError, SizeMismatchError } from '../../coder/errors.ts'
import { backoffDelay } from '../backoff.ts'
import { readFileBounded } from '../bounded-read.ts'
import { EdgemirrorError, FileTooLargeError, NotFoundError, NotTrustedError, UsageError } from '../errors.ts'
import { silentLog, type EventLog } from '../event-log.ts'
import type { FetchStart } from '../fetch/types.ts'
import type { Holders } from '../transfer/locator.ts'
import { writeFileAtomic } from '../fs-atomic.ts'
import type { Startable } from '../startable.ts'
import { parseMirrorAddress } from './address.ts'
import { HolderBatches, type LocateMany } from './holder-batches.ts'
import { MirrorDirectory } from './mirror-directory.ts'
import type { RecordBook } from './record-book.ts'
import type { TreeReader } from './tree-reader.ts'
import type { MirrorView, SwitchStats } from './types.ts'

const log = logger('edgemirror:mirror:follow')

/** Retry of a failed sync: 5 s, doubling to 5 min (a publisher's holders restarting, or a disk briefly full). */
const RETRY_BASE_MS = 5_000
const RETRY_MAX_MS = 300_000
/** follows.json: a line per followed set, with the hashes of the files its current version holds. */
const MAX_FOLLOWS_BYTES = 64 * 1024 * 1024

export interface FollowComponents {
  book: RecordBook
  trees: Pick<TreeReader, 'entries'>
  /** Read a file from the swarm, every block verified (the fetch service); `holders` from `locateMany` skip its lookup. */
  fetchFile: (cid: string, options: { signal?: AbortSignal, holders?: Holders }) => Promise<FetchStart>
  /** Where each of many files is, one request per peer (the fetch service's locateMany). */
  locateMany?: LocateMany
  /** Whether this node follows sets of `publisher` (daemon --trust). */
  trusts: (publisher: string) => boolean
  /** <repo>/mirrors/follows.json */
  stateFile: string
  log?: EventLog
  now?: () => number
}

/** A followed set as follows.json holds it. */
export interface Followed {
  address: string
  dir: string
  seq: number | null
  bytes: number | null
  lastSync: number | null
  /** SHA-256 (hex) per CID of the files in the version DIR shows: a local read announces it before its first byte. */
  hashes: Record<string, string>
}

export class FollowService implements Startable {
  private readonly follows = new Map<string, Followed>()
  private readonly directories = new Map<string, MirrorDirectory>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  private readonly errors = new Map<string, { code: string, message: string, failures: number }>()
  private readonly retries = new Map<string, NodeJS.Timeout>()
  private readonly switches = new Map<string, SwitchStats>()
  private readonly controller = new AbortController()
  private unsubscribe: (() => void) | undefined

  constructor (private readonly components: FollowComponents) {}

  async start (): Promise<void> {
    await this.load()
    this.unsubscribe = this.components.book.onNewest((record) => {
      const address = `${record.publisher}/${record.name}`
      if (this.follows.has(address)) this.kick(address)
    })
    for (const address of this.follows.keys()) this.kick(address)
  }

  async stop (): Promise<void> {
    this.unsubscribe?.()
    for (const timer of this.retries.values()) clearTimeout(timer)
    this.retries.clear()
    this.controller.abort()
    await Promise.allSettled([...this.running.values()])
  }

  async follow (addressText: string, dir: string): Promise<MirrorView> {
    const { address, publisher } = parseMirrorAddress(addressText)
    if (!this.components.trusts(publisher)) throw new NotTrustedError(publisher)
    const existing = this.follows.get(address)
    if (existing !== undefined) {
      if (existing.dir !== dir) throw new UsageError(`${address} is followed into ${existing.dir} already (unfollow it first)`)
      return this.view(existing)
    }
    if ([...this.follows.values()].some(f => f.dir === dir)) throw new UsageError(`${dir} is the directory of another followed set`)
    const directory = new MirrorDirectory(dir)
    await directory.prepare()
    const followed: Followed = { address, dir, seq: (await directory.current()) ?? null, bytes: null, lastSync: null, hashes: {} }
    this.follows.set(address, followed)
    this.directories.set(address, directory)
    await this.save()
    this.kick(address)
    return this.view(followed)
  }

  /** Stop following: DIR and its versions stay as they are (the operator's to keep or remove). */
  async unfollow (addressText: string): Promise<MirrorView> {
    const { address } = parseMirrorAddress(addressText)
    const followed = this.follows.get(address)
    if (followed === undefined) throw new NotFoundError(`followed mirror set ${address}`)
    this.follows.delete(address)
    this.directories.delete(address)
    clearTimeout(this.retries.get(address))
    this.retries.delete(address)
    await this.save()
    return this.view(followed)
  }

  views (): MirrorView[] {
    return [...this.follows.values()].map(f => this.view(f))
  }

  /** The version DIR shows for `address`, when this node follows it. */
  shownSeq (address: string): number | undefined {
    return this.follows.get(address)?.seq ?? undefined
  }

  /** This node's own copy of `path` in version `seq` of `address`, unchanged since it was verified, and its SHA-256. */
  async localFile (address: string, seq: number, path: string, cid: string): Promise<{ path: string, sha256: string } | undefined> {
    const followed = this.follows.get(address)
    const sha256 = followed?.hashes[cid]
    if (followed === undefined || followed.seq !== seq || sha256 === undefined) return undefined
    const local = await this.directories.get(address)?.localFile(seq, path)
    return local === undefined ? undefined : { path: local, sha256 }
  }

  /** Resolves once `address` shows version `seq` or newer (tests and the bench wait on it). */
  async synced (address: string, seq: number, signal?: AbortSignal): Promise<void> {
    while ((this.follows.get(address)?.seq ?? 0) < seq) {
      signal?.throwIfAborted()
      await (this.running.get(address) ?? new Promise(resolve => setTimeout(resolve, 50)))
    }
  }

  private view (f: Followed): MirrorView {
    const error = this.errors.get(f.address)
    return {
      address: f.address,
      role: 'follower',
      dir: f.dir,
      seq: f.seq,
      newest: this.components.book.newest(f.address)?.seq ?? null,
      bytes: f.bytes,
      lastSync: f.lastSync,
      state: this.running.has(f.address) ? 'syncing' : error !== undefined ? 'error' : 'idle',
      ...(error !== undefined ? { error: { code: error.code, message: error.message } } : {}),
      ...(this.switches.has(f.address) ? { lastSwitch: this.switches.get(f.address) } : {})
    }
  }

  /** Sync `address` now, or right after the sync running now (a newer record may have come meanwhile). */
  private kick (address: string): void {
    if (this.controller.signal.aborted) return
    if (this.running.has(address)) {
      this.again.add(address)
      return
    }
    clearTimeout(this.retries.get(address))
    this.retries.delete(address)
    const run = (async () => {
      do {
        this.again.delete(address)
        await this.syncOnce(address)
      } while (this.again.has(address) && !this.controller.signal.aborted)
    })().catch((err) => { this.failed(address, err) }).finally(() => { this.running.delete(address) })
    this.running.set(address, run)
  }

  private failed (address: string, err: unknown): void {
    if (this.controller.signal.aborted || !this.follows.has(address)) return
    const code = err instanceof EdgemirrorError ? err.code : 'ERR_INTERNAL'
    const failures = (this.errors.get(address)?.failures ?? 0) + 1
    this.errors.set(address, { code, message: (err as Error).message, failures })
    const delay = backoffDelay(failures, RETRY_BASE_MS, RETRY_MAX_MS)
    ;(this.components.log ?? silentLog).warn('mirror.sync.failed', { address, code, message: (err as Error).message, retryInMs: delay })
    const timer = setTimeout(() => { this.retries.delete(address); this.kick(address) }, delay)
    timer.unref()
    this.retries.set(address, timer)
  }

  private async syncOnce (address: string): Promise<void> {
    const followed = this.follows.get(address)
    const directory = this.directories.get(address)
    const record = this.components.book.newest(address)
    if (followed === undefined || directory === undefined || record === undefined || (followed.seq ?? 0) >= record.seq) return
    const signal = this.controller.signal
    const started = Date.now()
    const entries = await this.components.trees.entries(record.root, { signal })
    const treeRead = Date.now()
    const bytes = entries.reduce((n, e) => n + e.size, 0)
    if (entries.length !== record.files || bytes !== record.bytes) {
      throw new ManifestInvalidError(`version ${record.seq} of ${address}: its directory lists ${entries.length} files of ${bytes} bytes, its signed record ${record.files} of ${record.bytes}`)
    }
    const hashes: Record<string, string> = {}
    // The files the version DIR shows lacks, in entry order (materialize fetches in that order): located in batches.
    const toFetch = [...new Set(entries.map(e => e.cid).filter(cid => followed.hashes[cid] === undefined))]
    const batches = this.components.locateMany !== undefined ? new HolderBatches(this.components.locateMany, toFetch) : undefined
    const result = await directory.materialize(record.seq, entries, {
      fetchTo: async (cid, size, path, options) => { hashes[cid] = await this.fetchTo(cid, size, path, options.signal, await batches?.holdersOf(cid, options.signal)) }
    }, { signal })
    for (const e of entries) {
      const known = hashes[e.cid] ?? followed.hashes[e.cid]
      if (known !== undefined) hashes[e.cid] = known
    }
    const switchedAt = Date.now()
    Object.assign(followed, { seq: record.seq, bytes, lastSync: this.now(), hashes })
    this.switches.set(address, {
      seq: record.seq, fetchedFiles: result.fetched, fetchedBytes: result.fetchedBytes, reusedFiles: result.reused, startedAt: started, switchedAt, treeMs: treeRead - started, buildMs: switchedAt - treeRead
    })
    this.errors.delete(address)
    await this.save()
    ;(this.components.log ?? silentLog).info('mirror.switch', {
      address, seq: record.seq, files: entries.length, fetched: result.fetched, fetchedBytes: result.fetchedBytes, reused: result.reused, ms: Date.now() - started
    })
  }

  /**
   * Fetch `cid` into `path` (a new file), verified block by block (read or rebuilt) by the decoder, and its size
   * checked: returns the manifest's SHA-256, recorded for what the copy is, not hashed again here (issue #18, decision 2;
   * docs/MANIFEST.md, "Integrity on read").
   */
  private async fetchTo (cid: string, size: number, path: string, signal?: AbortSignal, holders?: Holders): Promise<string> {
    const start = await this.components.fetchFile(cid, { signal, holders })
    if (start.size !== size) {
      for await (const _ of start.body) break
      throw new SizeMismatchError(`file ${cid} is ${start.size} bytes, the directory says ${size}`)
    }
    const file = createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 })
    await pipeline(start.body, file, { signal })
    await start.done
    if (file.bytesWritten !== size) throw new SizeMismatchError(`fetched ${file.bytesWritten} bytes of ${cid}, its manifest says ${size}`, { cid })
    // Read by CID, so never an encrypted file (node/fetch/file-access.ts refuses those): its manifest's hash is there.
    if (start.sha256 === null) throw new KeyRequiredError(cid)
    return start.sha256
  }

  private async load (): Promise<void> {
    let text: string
    try {
      text = await readFileBounded(this.components.stateFile, MAX_FOLLOWS_BYTES)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      if (err instanceof FileTooLargeError) throw new EdgemirrorError('ERR_CONFIG', `${this.components.stateFile} is over ${MAX_FOLLOWS_BYTES} bytes`)
      throw err
    }
    const { follows, skipped } = parseFollowsFile(text, this.components.stateFile)
    for (const why of skipped) log.error('followed set ignored: %s', why)
    for (const f of follows) {
      try {
        const directory = new MirrorDirectory(f.dir)
        const seq = (await directory.current()) ?? null
        // The directory is the truth: a crash between the switch and this file's save leaves DIR one version ahead.
        this.follows.set(f.address, { address: f.address, dir: f.dir, seq, bytes: seq === f.seq ? f.bytes : null, lastSync: f.lastSync, hashes: seq === f.seq ? f.hashes : {} })
        this.directories.set(f.address, directory)
      } catch (err) {
        log.error('followed set %s ignored: %s', f.address, (err as Error).message)
      }
    }
  }

  private async save (): Promise<void> {
    await writeFileAtomic(this.components.stateFile, JSON.stringify({ version: 1, follows: [...this.follows.values()] }) + '\n', 0o600)
  }

  private now (): number {
    return (this.components.now ?? Date.now)()
  }
}

/**
 * The followed sets in follows.json's text, each field checked (the file is untrusted like any input: edited by hand,
 * or not written by this code). ERR_CONFIG when the text is not a follows file at all; an entry that is malformed is
 * left out, with why in `skipped`, so one bad line does not stop the others from being followed.
 */
export function parseFollowsFile (text: string, file: string): { follows: Followed[], skipped: string[] } {
  let saved: unknown
  try {
    saved = JSON.parse(text)
  } catch (err) {
    throw new EdgemirrorError('ERR_CONFIG', `${file} is not JSON: ${(err as Error).message}`)
  }
  const m = saved as { version?: unknown, follows?: unknown } | null
  if (m === null || typeof m !== 'object' || m.version !== 1 || !Array.isArray(m.follows)) throw new EdgemirrorError('ERR_CONFIG', `${file}: unknown format`)
  const follows: Followed[] = []
  const skipped: string[] = []
  for (const value of m.follows as unknown[]) {
    const f = (value !== null && typeof value === 'object' ? value : {}) as Record<string, unknown>
    try {
      if (typeof f.address !== 'string') throw new Error('no address')
      const { address } = parseMirrorAddress(f.address)
      if (typeof f.dir !== 'string' || !f.dir.startsWith('/')) throw new Error('bad dir')
      const hashes = typeof f.hashes === 'object' && f.hashes !== null && !Array.isArray(f.hashes)
        ? Object.fromEntries(Object.entries(f.hashes).filter(([, v]) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v))) as Record<string, string>
        : {}
      follows.push({ address, dir: f.dir, seq: countOrNull(f.seq), bytes: countOrNull(f.bytes), lastSync: typeof f.lastSync === 'number' && Number.isFinite(f.lastSync) ? f.lastSync : null, hashes })
    } catch (err) {
      skipped.push(`${String(typeof f.address === 'string' ? f.address : '?').slice(0, 200)}: ${(err as Error).message}`)
    }
  }
  return { follows, skipped }
}

function countOrNull (value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null
}
