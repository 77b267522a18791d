// An in-memory ControlApi for the mirror-set verbs: the surroundings of the control API's routes and client (and of the
// CLI verbs on top of them) in tests, where a daemon would be. Only the mirror methods answer.
import { createHash } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { PROGRESS_INTERVAL_MS } from '../../../node/api/routes.ts'
import type { ControlApi, FetchReport, MirrorFetchStart, MirrorView, PublishOptions, PublishResult, TreeListing, VersionRecordView } from '../../../node/api/types.ts'
import { EdgemirrorError, NotFoundError, UsageError } from '../../../node/errors.ts'
import { parseMirrorAddress, parseMirrorTarget } from '../../../node/mirror/address.ts'

export const FILE = Buffer.from('<h1>hello, mirrors</h1>\n')
export const REPORT: FetchReport = { missing: [2], corrupt: [], rebuilt: [0], hedged: 1, badHolders: [] }

export function publishResult (publisher: string, options: PublishOptions): PublishResult {
  const record = versionRecord(publisher, options.name, 3)
  return {
    address: record.address, seq: 3, root: record.root, files: 2, bytes: 300, newBytes: 100, newFiles: 1, record,
    skipped: [{ path: 'link', reason: 'a symbolic link' }], expired: { versions: [1], files: 1, bytes: 50 }, announcedTo: 4
  }
}

export function versionRecord (publisher: string, name: string, seq: number): VersionRecordView {
  return {
    address: `${publisher}/${name}`, publisher, name, seq, root: `bafyroot${seq}`, prev: seq > 1 ? `bafyroot${seq - 1}` : null,
    publishedAt: 1_700_000_000_000 + seq, files: 2, bytes: 300, signature: 'c2ln'
  }
}

/** The daemon's surroundings: what the routes call, in memory. Publishes of name 'fails' fail after their progress. */
export class FakeMirrors implements ControlApi {
  readonly publishes: PublishOptions[] = []
  readonly following = new Map<string, MirrorView>()
  fetchFails = false
  /** Serve a file whose manifest SHA-256 disagrees with its bytes (a sharer's wrong file hash; block hashes right). */
  wrongSha256 = false

  constructor (readonly publisher: string) {}

  async publish (options: PublishOptions): Promise<PublishResult> {
    this.publishes.push(options)
    if (options.dir === '/refused-at-once') throw new UsageError('/refused-at-once is not a directory')
    options.onProgress?.({ phase: 'share', bytes: 100, total: 300 })
    // Paced by the fake itself (a daemon reports as work gets done): the next event is due, the burst after it is not.
    await delay(PROGRESS_INTERVAL_MS + 20)
    options.onProgress?.({ phase: 'share', bytes: 200, total: 300 })
    for (let i = 0; i < 20; i++) options.onProgress?.({ phase: 'share', bytes: 201 + i, total: 300 })
    if (options.name === 'fails') throw new EdgemirrorError('ERR_NOT_ENOUGH_PEERS', 'need 6 peers, have 2', { available: 2 })
    return publishResult(this.publisher, options)
  }

  async follow (address: string, dir: string): Promise<MirrorView> {
    parseMirrorAddress(address)
    const view: MirrorView = { address, role: 'follower', dir, seq: null, newest: null, bytes: null, lastSync: null, state: 'idle' }
    this.following.set(address, view)
    return view
  }

  async unfollow (address: string): Promise<MirrorView> {
    const view = this.following.get(address)
    if (view === undefined) throw new NotFoundError(`a followed set ${address}`)
    this.following.delete(address)
    return view
  }

  async mirrors (): Promise<MirrorView[]> { return [...this.following.values()] }

  async versions (address: string): Promise<VersionRecordView[]> {
    const { publisher, name } = parseMirrorAddress(address)
    return [versionRecord(publisher, name, 1), versionRecord(publisher, name, 2)]
  }

  async listTree (target: string): Promise<TreeListing> {
    const t = parseMirrorTarget(target)
    const entries = [{ path: 'docs/index.html', cid: 'bafyindex', size: FILE.length, mode: 0o644 }, { path: 'run.sh', cid: 'bafyrun', size: 12, mode: 0o755 }]
    return { address: t.address, publisher: t.publisher, seq: t.seq ?? 2, root: 'bafyroot2', publishedAt: 1_700_000_000_002, path: t.path, entries: entries.filter(e => e.path.startsWith(t.path)) }
  }

  async fetchPath (target: string): Promise<MirrorFetchStart> {
    const t = parseMirrorTarget(target)
    const fails = this.fetchFails
    const sha256 = createHash('sha256').update(FILE).update(this.wrongSha256 ? '!' : '').digest('hex')
    async function * body (): AsyncGenerator<Uint8Array> {
      yield FILE.subarray(0, 5)
      if (fails) throw new EdgemirrorError('ERR_NOT_ENOUGH_SHARDS', 'not enough shards: found 1 good, need 2')
      yield FILE.subarray(5)
    }
    return {
      cid: 'bafyindex', size: FILE.length, sha256, name: 'index.html', body: body(), done: Promise.resolve(REPORT),
      address: t.address, publisher: t.publisher, seq: t.seq ?? 2, path: t.path, local: true
    }
  }

  async id (): Promise<never> { throw new Error('not part of this test') }
  async status (): Promise<never> { throw new Error('not part of this test') }
  async peers (): Promise<never> { throw new Error('not part of this test') }
  async ls (): Promise<never> { throw new Error('not part of this test') }
  async share (): Promise<never> { throw new Error('not part of this test') }
  async fetch (): Promise<never> { throw new Error('not part of this test') }
  async check (): Promise<never> { throw new Error('not part of this test') }
  async repair (): Promise<never> { throw new Error('not part of this test') }
  async rm (): Promise<never> { throw new Error('not part of this test') }
}
