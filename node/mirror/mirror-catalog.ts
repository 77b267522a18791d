// The read side of mirror sets, for the control API and the gateway: which versions a set has, the tree of one, and
// one file of it, read from this node's followed copy when it has one (no swarm traffic) and from the swarm otherwise.
// Publishers the node does not trust (daemon --trust) are refused here as everywhere.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { DirectoryEntry } from '../../coder/directory-manifest.ts'
import { NotFoundError, NotTrustedError } from '../errors.ts'
import type { FetchReport, FetchStart } from '../fetch/types.ts'
import { addressOf, parseMirrorAddress, parseMirrorTarget, type MirrorTarget } from './address.ts'
import type { FollowService } from './follow-service.ts'
import type { PublishService } from './publish-service.ts'
import type { RecordBook } from './record-book.ts'
import type { TreeReader } from './tree-reader.ts'
import type { MirrorFetchStart, MirrorView, TreeListing, VersionRecordView } from './types.ts'
import { versionRecordView, type VersionRecord } from './version-record.ts'

export interface MirrorCatalogComponents {
  selfId: string
  book: RecordBook
  trees: Pick<TreeReader, 'entries'>
  follows: Pick<FollowService, 'views' | 'localFile'>
  publishing: Pick<PublishService, 'published'>
  trusts: (publisher: string) => boolean
  fetchFile: (cid: string, options: { signal?: AbortSignal }) => Promise<FetchStart>
}

export class MirrorCatalog {
  constructor (private readonly components: MirrorCatalogComponents) {}

  versions (addressText: string): VersionRecordView[] {
    const { address, publisher } = parseMirrorAddress(addressText)
    if (!this.components.trusts(publisher)) throw new NotTrustedError(publisher)
    const records = this.components.book.list(address)
    if (records.length === 0) throw new NotFoundError(`mirror set ${address} (no version record reached this node)`)
    return records.map(versionRecordView)
  }

  /** Sets this node publishes, then those it follows. */
  async mirrors (): Promise<MirrorView[]> {
    const { book, selfId } = this.components
    const published: MirrorView[] = (await this.components.publishing.published()).map(set => {
      const address = addressOf(selfId, set.name)
      const newest = book.newest(address)
      return { address, role: 'publisher', dir: set.dir, seq: newest?.seq ?? null, newest: newest?.seq ?? null, bytes: newest?.bytes ?? null, lastSync: set.lastPublish, state: 'idle' }
    })
    return [...published, ...this.components.follows.views()]
  }

  /** The whole tree of version `seq` (the newest when undefined) of `address`. */
  async tree (address: string, seq: number | undefined, options: { signal?: AbortSignal } = {}): Promise<TreeListing> {
    const record = this.record(parseMirrorAddress(address), seq)
    const entries = await this.components.trees.entries(record.root, options)
    return listing(record, '', entries)
  }

  /** PEERID/NAME[@SEQ][/PATH]: the tree, the directory PATH of it, or the one file PATH names. */
  async listTree (targetText: string, options: { signal?: AbortSignal } = {}): Promise<TreeListing> {
    const target = parseMirrorTarget(targetText)
    const record = this.record(target, target.seq)
    const entries = await this.components.trees.entries(record.root, options)
    if (target.path === '') return listing(record, '', entries)
    const file = entries.find(e => e.path === target.path)
    const under = file !== undefined ? [file] : entries.filter(e => e.path.startsWith(`${target.path}/`))
    if (under.length === 0) throw new NotFoundError(`${target.path} in ${record.publisher}/${record.name}@${record.seq}`)
    return listing(record, target.path, under)
  }

  /** One file of a version: from this node's verified followed copy when it holds that version, else the swarm. */
  async fetchPath (targetText: string, options: { signal?: AbortSignal } = {}): Promise<MirrorFetchStart> {
    const target = parseMirrorTarget(targetText)
    const record = this.record(target, target.seq)
    const entries = await this.components.trees.entries(record.root, options)
    const entry = entries.find(e => e.path === target.path)
    if (entry === undefined) throw new NotFoundError(`file ${target.path === '' ? '(none given)' : target.path} in ${record.publisher}/${record.name}@${record.seq}`)
    const about = { address: target.address, publisher: record.publisher, seq: record.seq, path: entry.path }
    const local = await this.localCopy(target.address, record.seq, entry)
    if (local !== undefined) return { ...localRead(entry, local.path, local.sha256), ...about, local: true }
    return { ...await this.components.fetchFile(entry.cid, options), ...about, local: false }
  }

  /** For the gateway: this node's own copy of `path` in that version, when it follows the set and shows it. */
  async localFile (address: string, seq: number, path: string): Promise<string | undefined> {
    const record = this.components.book.get(address, seq)
    if (record === undefined) return undefined
    const entry = (await this.components.trees.entries(record.root)).find(e => e.path === path)
    return entry === undefined ? undefined : (await this.localCopy(address, seq, entry))?.path
  }

  private async localCopy (address: string, seq: number, entry: DirectoryEntry): Promise<{ path: string, sha256: string } | undefined> {
    const local = await this.components.follows.localFile(address, seq, entry.path, entry.cid)
    if (local === undefined) return undefined
    const info = await stat(local.path).catch(() => undefined)
    return info?.size === entry.size ? local : undefined
  }

  private record (target: Pick<MirrorTarget, 'address' | 'publisher'>, seq: number | undefined): VersionRecord {
    if (!this.components.trusts(target.publisher)) throw new NotTrustedError(target.publisher)
    const { book } = this.components
    const record = seq === undefined ? book.newest(target.address) : book.get(target.address, seq)
    if (record === undefined) {
      throw new NotFoundError(seq === undefined ? `mirror set ${target.address} (no version record reached this node)` : `version ${seq} of ${target.address}`)
    }
    return record
  }
}

function listing (record: VersionRecord, path: string, entries: DirectoryEntry[]): TreeListing {
  return { address: addressOf(record.publisher, record.name), publisher: record.publisher, seq: record.seq, root: record.root, publishedAt: record.publishedAt, path, entries }
}

/** A followed copy read from disk: verified when it was fetched, and the reader checks the whole-file hash again. */
function localRead (entry: DirectoryEntry, path: string, sha256: string): FetchStart {
  const report: FetchReport = { missing: [], corrupt: [], rebuilt: [], hedged: 0, badHolders: [] }
  let finish: (r: FetchReport) => void = () => {}
  let fail: (err: unknown) => void = () => {}
  const done = new Promise<FetchReport>((resolve, reject) => { finish = resolve; fail = reject })
  done.catch(() => {})
  async function * body (): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer
      finish(report)
    } catch (err) {
      fail(err)
      throw err
    }
  }
  return { cid: entry.cid, size: entry.size, sha256, name: entry.path.split('/').at(-1) ?? null, body: body(), done }
}
