// Every node's book of mirror-set version records: the newest valid record per address, and the older ones it has
// seen (`versions` lists them). Records are checked before they are kept: the publisher's signature, its trust (daemon
// --trust), and the sequence number, which only goes up: a record not above the newest held arrives as a replay (an
// old record sent again, or a forged rollback) and is dropped with a log line. On disk one JSON file per record,
// <repo>/mirrors/records/<publisher>/<name>/<seq>.json, re-verified when read back (docs/STORAGE.md).
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { readFileBounded } from '../bounded-read.ts'
import { writeFileAtomic } from '../fs-atomic.ts'
import { silentLog, type EventLog } from '../event-log.ts'
import { MIRROR_NAME_PATTERN } from './address.ts'
import { recordAddress, verifyVersionRecord, versionRecordFromView, versionRecordView, type VersionRecord } from './version-record.ts'

const log = logger('edgemirror:mirror:records')

/** Bounds on what the book keeps, so a peer that floods records cannot fill the disk or the heap: 4096 sets and the
 *  newest 1024 records of each (a set published hourly keeps six weeks of history). */
export const MAX_MIRROR_ADDRESSES = 4096
export const MAX_RECORDS_PER_ADDRESS = 1024
/** A record's JSON is ~600 bytes; refuse any file that could not be one. */
const MAX_RECORD_FILE_BYTES = 8 * 1024

/** What became of a record offered to the book. `newest`: it is the newest of its address now; `history`: an older
 *  version this node had not seen (learned by pull), kept for `versions`; `known`: held already; `replay`: not above
 *  the newest and arrived by push, dropped; `invalid`: bad signature; `untrusted`: a publisher the node does not trust;
 *  `conflict`: the publisher signed two different records with the same number (the first one stays); `full`: over the
 *  bounds above. */
export type RecordOutcome = 'newest' | 'history' | 'known' | 'replay' | 'invalid' | 'untrusted' | 'conflict' | 'full'

export interface RecordBookInit {
  /** <repo>/mirrors/records */
  dir: string
  /** Whether records of `publisher` may be kept (daemon --trust); default every publisher. */
  trusts?: (publisher: string) => boolean
  log?: EventLog
}

export class RecordBook {
  /** address → seq → record */
  private readonly byAddress = new Map<string, Map<number, VersionRecord>>()
  private readonly listeners = new Set<(record: VersionRecord) => void>()
  /** One accept at a time per address, so two copies of a record arriving together are one 'newest' and one 'known'. */
  private readonly queue = new Map<string, Promise<unknown>>()

  constructor (private readonly init: RecordBookInit) {}

  /** Read the records on disk back, each checked again (a file is untrusted like a message). */
  async load (): Promise<void> {
    await mkdir(this.init.dir, { recursive: true })
    for (const publisher of await readdir(this.init.dir).catch(() => [])) {
      for (const name of await readdir(join(this.init.dir, publisher)).catch(() => [])) {
        if (!MIRROR_NAME_PATTERN.test(name)) continue
        for (const file of await readdir(join(this.init.dir, publisher, name)).catch(() => [])) {
          const path = join(this.init.dir, publisher, name, file)
          try {
            const text = await readFileBounded(path, MAX_RECORD_FILE_BYTES)
            const record = versionRecordFromView(JSON.parse(text))
            if (record.publisher !== publisher || record.name !== name || `${record.seq}.json` !== file) throw new Error('stored under another address or number')
            if (!await verifyVersionRecord(record)) throw new Error('bad signature')
            if (this.init.trusts?.(record.publisher) === false) continue
            this.remember(record)
          } catch (err) {
            log.error('record file %s ignored: %s', path, (err as Error).message)
          }
        }
      }
    }
  }

  /** Called with every record that becomes the newest of its address. */
  onNewest (listener: (record: VersionRecord) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  newest (address: string): VersionRecord | undefined {
    const records = this.byAddress.get(address)
    if (records === undefined || records.size === 0) return undefined
    return records.get(Math.max(...records.keys()))
  }

  get (address: string, seq: number): VersionRecord | undefined {
    return this.byAddress.get(address)?.get(seq)
  }

  /** The records of `address`, oldest first. */
  list (address: string): VersionRecord[] {
    return [...this.byAddress.get(address)?.values() ?? []].sort((a, b) => a.seq - b.seq)
  }

  addresses (): string[] {
    return [...this.byAddress.keys()].sort()
  }

  /** The newest seq per address: what a peer sends when it asks for the records it lacks. */
  digest (): Map<string, number> {
    return new Map([...this.byAddress.keys()].map(a => [a, this.newest(a)?.seq ?? 0]))
  }

  /** Records a peer with digest `have` lacks: those above its newest of each address (all for addresses it lacks),
   *  newest first per address, at most `max`. */
  since (have: Map<string, number>, max: number): VersionRecord[] {
    const out: VersionRecord[] = []
    for (const address of this.addresses()) {
      const known = have.get(address) ?? 0
      const missing = this.list(address).filter(r => r.seq > known).reverse()
      for (const r of missing) {
        if (out.length >= max) return out
        out.push(r)
      }
    }
    return out
  }

  /**
   * Offer a record: checked and, if it is new, written durably before it is announced to listeners. `via: 'push'`
   * (someone announced it as new) drops anything not above the newest held; `'pull'` (this node asked for records it
   * lacks) also keeps older versions it had not seen, for history: neither can ever move an address backwards.
   */
  async accept (record: VersionRecord, via: 'push' | 'pull' | 'self'): Promise<RecordOutcome> {
    const address = recordAddress(record)
    const previous = this.queue.get(address) ?? Promise.resolve()
    const outcome = previous.then(async () => await this.acceptNow(record, via))
    const settled = outcome.catch(() => undefined)
    this.queue.set(address, settled)
    void settled.then(() => { if (this.queue.get(address) === settled) this.queue.delete(address) })
    return await outcome
  }

  private async acceptNow (record: VersionRecord, via: 'push' | 'pull' | 'self'): Promise<RecordOutcome> {
    const address = recordAddress(record)
    const events = this.init.log ?? silentLog
    const fields = { address, seq: record.seq, via }
    if (this.init.trusts?.(record.publisher) === false) {
      events.warn('mirror.record.dropped', { ...fields, reason: 'publisher not trusted' })
      return 'untrusted'
    }
    if (!await verifyVersionRecord(record)) {
      events.warn('mirror.record.dropped', { ...fields, reason: 'bad signature' })
      return 'invalid'
    }
    const held = this.get(address, record.seq)
    if (held !== undefined) {
      if (Buffer.from(held.signature).equals(record.signature) || sameFields(held, record)) return 'known'
      events.warn('mirror.record.dropped', { ...fields, reason: 'the publisher signed another record with this number' })
      return 'conflict'
    }
    const newest = this.newest(address)
    const isNewest = newest === undefined || record.seq > newest.seq
    if (!isNewest && via === 'push') {
      events.warn('mirror.record.dropped', { ...fields, reason: `replay: not above the newest held (${newest.seq})` })
      return 'replay'
    }
    if (!this.byAddress.has(address) && this.byAddress.size >= MAX_MIRROR_ADDRESSES) {
      events.warn('mirror.record.dropped', { ...fields, reason: `this node keeps at most ${MAX_MIRROR_ADDRESSES} mirror sets` })
      return 'full'
    }
    const dir = join(this.init.dir, record.publisher, record.name)
    await mkdir(dir, { recursive: true })
    await writeFileAtomic(join(dir, `${record.seq}.json`), JSON.stringify(versionRecordView(record), null, 2) + '\n')
    this.remember(record)
    if (!isNewest) return 'history'
    events.info('mirror.record', { ...fields, root: record.root, files: record.files, bytes: record.bytes })
    for (const listener of this.listeners) {
      try {
        listener(record)
      } catch (err) {
        log.error('record listener failed: %s', (err as Error).message)
      }
    }
    return 'newest'
  }

  private remember (record: VersionRecord): void {
    const address = recordAddress(record)
    let records = this.byAddress.get(address)
    if (records === undefined) {
      records = new Map()
      this.byAddress.set(address, records)
    }
    records.set(record.seq, record)
    // The oldest go first; their files on disk stay (a few hundred bytes each) until the set is forgotten.
    while (records.size > MAX_RECORDS_PER_ADDRESS) records.delete(Math.min(...records.keys()))
  }
}

function sameFields (a: VersionRecord, b: VersionRecord): boolean {
  return a.root === b.root && a.prev === b.prev && a.publishedAt === b.publishedAt && a.files === b.files && a.bytes === b.bytes
}

