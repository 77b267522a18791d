// Publishing a directory as the next version of a mirror set: every regular file is shared as `share` shares it
// (a file unchanged since the last publish, by size and mtime, keeps its CID without being read), the directory
// manifest is stored in the swarm like any file, and a version record pointing at it is signed, kept and pushed to
// the peers. With --keep N, versions older than the newest N are expired: their files that no kept version lists get
// the owner's signed delete (node/delete/), so holders reclaim the space after the grace. docs/MIRRORS.md.
import { constants } from 'node:fs'
import { mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { ByteSource } from '../../coder/stripe-reader.ts'
import { fileFillSource } from '../file-fill-source.ts'
import { directoryRootOf, encodeDirectoryPage, encodeDirectoryRoot, planDirectory, type DirectoryEntry } from '../../coder/directory-manifest.ts'
import { SizeMismatchError } from '../../coder/errors.ts'
import type { ProgressEvent } from '../../coder/progress.ts'
import { readFileBounded } from '../bounded-read.ts'
import { EdgemirrorError, UsageError } from '../errors.ts'
import { logOutcome, silentLog, type EventLog } from '../event-log.ts'
import { writeFileAtomic } from '../fs-atomic.ts'
import type { RmResult } from '../delete/types.ts'
import type { ShareOptions, ShareResult } from '../share/types.ts'
import { addressOf, assertMirrorName } from './address.ts'
import { PublishIndex } from './publish-index.ts'
import { runPool } from './run-pool.ts'
import type { RecordBook } from './record-book.ts'
import type { TreeReader } from './tree-reader.ts'
import { walkTree, type WalkedFile } from './tree-walk.ts'
import type { PublishOptions, PublishResult } from './types.ts'
import { versionRecordView, type VersionRecord } from './version-record.ts'

/** Files shared at once: small files are dominated by per-share round trips (placement, accept, commit), which
 *  overlap; 4 keeps two cores busy without one huge file's stripes starving the rest. */
const PUBLISH_CONCURRENCY = 4
/** A set's state file is a few hundred bytes. */
const MAX_STATE_BYTES = 64 * 1024

export interface PublishComponents {
  selfId: string
  /** <repo>/mirrors/published: one folder per set this node publishes. */
  dir: string
  share: (body: ByteSource, options: ShareOptions) => Promise<ShareResult>
  rm: (cid: string, options: { signal?: AbortSignal }) => Promise<RmResult>
  sign: (fields: Omit<VersionRecord, 'signature'>) => Promise<VersionRecord>
  book: RecordBook
  announce: (record: VersionRecord) => Promise<number>
  trees: Pick<TreeReader, 'tree'>
  log?: EventLog
  now?: () => number
}

/** What a publisher remembers of each of its sets (<repo>/mirrors/published/<name>/state.json). */
export interface PublishedSet {
  name: string
  dir: string
  keep: number | null
  /** Versions up to this one are expired (their files deleted); 0 when none. */
  expiredThrough: number
  lastPublish: number
}

export class PublishService {
  private readonly running = new Set<string>()

  constructor (private readonly components: PublishComponents) {}

  async publish (options: PublishOptions): Promise<PublishResult> {
    assertMirrorName(options.name)
    if (options.keep !== undefined && (!Number.isSafeInteger(options.keep) || options.keep < 1)) throw new UsageError(`--keep must be a positive integer, got ${options.keep}`)
    if (this.running.has(options.name)) throw new EdgemirrorError('ERR_BUSY', `mirror set ${options.name} is being published already`)
    this.running.add(options.name)
    try {
      return await logOutcome(this.components.log ?? silentLog, 'publish', { name: options.name, dir: options.dir }, async () => await this.publishNow(options),
        r => ({ seq: r.seq, files: r.files, bytes: r.bytes, newBytes: r.newBytes }))
    } finally {
      this.running.delete(options.name)
    }
  }

  /** The sets this node publishes. */
  async published (): Promise<PublishedSet[]> {
    await mkdir(this.components.dir, { recursive: true })
    const sets: PublishedSet[] = []
    for (const name of await readdir(this.components.dir)) {
      const state = await this.state(name)
      if (state !== undefined) sets.push(state)
    }
    return sets
  }

  private async publishNow (options: PublishOptions): Promise<PublishResult> {
    const { book, selfId } = this.components
    const { name, signal } = options
    const info = await stat(options.dir).catch(() => undefined)
    if (info?.isDirectory() !== true) throw new UsageError(`${options.dir} is not a directory`)
    const setDir = join(this.components.dir, name)
    await mkdir(setDir, { recursive: true })
    const previous = await this.state(name)
    const keep = options.keep ?? previous?.keep ?? null

    const walked = await walkTree(options.dir, { signal })
    const index = await PublishIndex.load(join(setDir, 'index.json'))
    const toShare = walked.files.filter(f => index.lookup(f) === undefined)
    const total = toShare.reduce((n, f) => n + f.size, 0)
    const progress = aggregateProgress(total, options.onProgress)
    const cids = new Map<string, string>()
    for (const f of walked.files) {
      const cid = index.lookup(f)
      if (cid !== undefined) cids.set(f.path, cid)
    }
    await runPool(toShare, PUBLISH_CONCURRENCY, async (file) => {
      const handle = await openWalked(file)
      try {
        const result = await this.components.share(fileFillSource(handle), {
          size: file.size, name: basename(file.path), k: options.k, m: options.m, allowFewerPeers: options.allowFewerPeers, signal, onProgress: progress.of(file)
        })
        cids.set(file.path, result.cid)
      } finally {
        await handle.close()
      }
      progress.done(file)
    })
    const entries: DirectoryEntry[] = walked.files.map(f => ({ path: f.path, cid: cids.get(f.path) as string, size: f.size, mode: f.mode }))
    const root = await this.storeDirectory(entries, options)

    const address = addressOf(selfId, name)
    const newest = book.newest(address)
    const record = await this.components.sign({
      publisher: selfId,
      name,
      seq: (newest?.seq ?? 0) + 1,
      root,
      prev: newest?.root ?? null,
      publishedAt: this.now(),
      files: entries.length,
      bytes: entries.reduce((n, e) => n + e.size, 0)
    })
    const outcome = await book.accept(record, 'self')
    if (outcome !== 'newest') throw new Error(`the new version record was not kept (${outcome})`)
    await index.save(walked.files.map(f => ({ path: f.path, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino, dev: f.dev, cid: cids.get(f.path) as string })))
    const state: PublishedSet = { name, dir: options.dir, keep, expiredThrough: previous?.expiredThrough ?? 0, lastPublish: record.publishedAt }
    await this.saveState(state)
    const announcedTo = await this.components.announce(record)
    const expired = keep === null ? { versions: [], files: 0, bytes: 0 } : await this.expire(address, keep, state, signal)
    return {
      address,
      seq: record.seq,
      root,
      files: record.files,
      bytes: record.bytes,
      newBytes: total,
      newFiles: toShare.length,
      record: versionRecordView(record),
      skipped: walked.skipped,
      expired,
      announcedTo
    }
  }

  /** Share the directory manifest (its pages first when the tree is large): the root's CID names the version. */
  private async storeDirectory (entries: DirectoryEntry[], options: PublishOptions): Promise<string> {
    const plan = planDirectory(entries)
    const pageCids: string[] = []
    if (!plan.inline) for (const page of plan.pages) pageCids.push(await this.shareBytes(encodeDirectoryPage(page), options))
    return await this.shareBytes(encodeDirectoryRoot(directoryRootOf(plan, pageCids)), options)
  }

  private async shareBytes (bytes: Uint8Array, options: PublishOptions): Promise<string> {
    async function * body (): AsyncGenerator<Uint8Array> { yield bytes }
    const result = await this.components.share(body(), { size: bytes.byteLength, k: options.k, m: options.m, allowFewerPeers: options.allowFewerPeers, signal: options.signal })
    return result.cid
  }

  /**
   * Delete what only expired versions use: the files of versions older than the newest `keep` that no kept version
   * lists, and those versions' directory manifests. A file that failed to delete is retried at the next publish
   * (expiredThrough only moves past versions whose deletes all went out).
   */
  private async expire (address: string, keep: number, state: PublishedSet, signal?: AbortSignal): Promise<PublishResult['expired']> {
    const { book, trees, rm } = this.components
    const records = book.list(address)
    const newest = records.at(-1)?.seq ?? 0
    const kept = records.filter(r => r.seq > newest - keep)
    const expiring = records.filter(r => r.seq <= newest - keep && r.seq > state.expiredThrough)
    const result = { versions: [] as number[], files: 0, bytes: 0 }
    if (expiring.length === 0) return result
    const keptCids = new Set<string>()
    for (const r of kept) {
      const tree = await trees.tree(r.root, { signal })
      keptCids.add(r.root)
      for (const p of tree.pages) keptCids.add(p)
      for (const e of tree.entries) keptCids.add(e.cid)
    }
    const events = this.components.log ?? silentLog
    const deleted = new Set<string>()
    for (const r of expiring) {
      let complete = true
      try {
        const tree = await trees.tree(r.root, { signal })
        const doomed = new Map<string, number>()
        for (const e of tree.entries) if (!keptCids.has(e.cid)) doomed.set(e.cid, e.size)
        for (const cid of [r.root, ...tree.pages]) if (!keptCids.has(cid)) doomed.set(cid, 0)
        for (const [cid, size] of doomed) {
          if (deleted.has(cid)) continue
          try {
            await rm(cid, { signal })
            deleted.add(cid)
            result.files += size > 0 || tree.entries.some(e => e.cid === cid) ? 1 : 0
            result.bytes += size
          } catch (err) {
            complete = false
            events.warn('mirror.expire.failed', { address, seq: r.seq, cid, code: (err as { code?: string }).code ?? 'ERR_INTERNAL', message: (err as Error).message })
          }
        }
      } catch (err) {
        complete = false
        events.warn('mirror.expire.failed', { address, seq: r.seq, message: (err as Error).message })
      }
      if (!complete) break
      result.versions.push(r.seq)
      state.expiredThrough = r.seq
    }
    await this.saveState(state)
    return result
  }

  private async state (name: string): Promise<PublishedSet | undefined> {
    try {
      const text = await readFileBounded(join(this.components.dir, name, 'state.json'), MAX_STATE_BYTES)
      const v = JSON.parse(text) as PublishedSet
      if (v.name !== name || typeof v.dir !== 'string' || !(v.keep === null || Number.isSafeInteger(v.keep)) || !Number.isSafeInteger(v.expiredThrough) || !Number.isSafeInteger(v.lastPublish)) return undefined
      return { name: v.name, dir: v.dir, keep: v.keep, expiredThrough: v.expiredThrough, lastPublish: v.lastPublish }
    } catch {
      return undefined
    }
  }

  private async saveState (state: PublishedSet): Promise<void> {
    await writeFileAtomic(join(this.components.dir, state.name, 'state.json'), JSON.stringify(state, null, 2) + '\n')
  }

  private now (): number {
    return (this.components.now ?? Date.now)()
  }
}

/**
 * Open a file the walk found, as the walk saw it: not through a symlink put in its place since (O_NOFOLLOW), and still
 * the same file (device, inode) of the same size. A file changed meanwhile fails the publish with ERR_SIZE_MISMATCH
 * or ERR_FILE_CHANGED rather than publishing something the walk did not see; the share also checks the size it reads.
 */
async function openWalked (file: WalkedFile): Promise<FileHandle> {
  const handle = await open(file.absolute, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const info = await handle.stat()
    if (!info.isFile() || info.ino !== file.ino || info.dev !== file.dev) throw new EdgemirrorError('ERR_FILE_CHANGED', `${file.path} was replaced while the publish ran; publish again`, { path: file.path })
    if (info.size !== file.size) throw new SizeMismatchError(`${file.path} changed size while the publish ran (${file.size} → ${info.size} bytes); publish again`, { path: file.path })
    return handle
  } catch (err) {
    await handle.close()
    throw err
  }
}

/** One progress stream over several files shared at once: bytes done across all of them. */
function aggregateProgress (total: number, onProgress?: (e: ProgressEvent) => void): { of: (f: WalkedFile) => ((e: ProgressEvent) => void) | undefined, done: (f: WalkedFile) => void } {
  const current = new Map<string, number>()
  let finished = 0
  const report = (): void => {
    let bytes = finished
    for (const b of current.values()) bytes += b
    onProgress?.({ phase: 'publish', bytes, total })
  }
  return {
    of: (f) => onProgress === undefined ? undefined : (e) => { current.set(f.path, Math.min(e.bytes, f.size)); report() },
    done: (f) => { current.delete(f.path); finished += f.size; report() }
  }
}
