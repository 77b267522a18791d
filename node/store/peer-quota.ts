// How many bytes of shards each remote peer has pushed here (the peer at the other end of a put stream): a holder
// keeps at most `quotaBytes` from any one of them (`daemon --quota-per-peer`), so one publisher cannot fill a disk
// that the swarm shares. Repairs count against the repairer: a holder cannot tell a repair's put from a share's (same
// protocol, no proof of who asked for it), so exempting repairs would exempt anyone who says "repair".
//
// The pusher of each shard is kept beside the store, one small file per shard (`<dir>/<cid>.<index>`, the peer id as
// text: docs/STORAGE.md), so the accounting survives a restart: start() rebuilds it from those files and the store,
// and drops files whose shard is gone. A shard deleted while running (rm, purge, quarantine) is noticed when its
// pusher next comes near its quota: only then are that peer's shards looked up again.
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { readFileBounded } from '../bounded-read.ts'
import { QuotaExceededError } from '../errors.ts'
import { fsyncPath, writeFileAtomic } from '../fs-atomic.ts'
import { CID_PATTERN, MAX_SHARD_INDEX, type ShardStore } from './shard-store.ts'

const log = logger('edgemirror:peer-quota')

/** A libp2p peer id as text: base58btc (Ed25519 ids are 52 characters, RSA ones up to ~60 at 4096 bits, identity
 *  multihashes of larger keys longer); 128 covers every key type libp2p makes and bounds what a ledger file holds. */
const PEER_ID_PATTERN = /^[1-9A-HJ-NP-Za-km-z]{32,128}$/
const MAX_LEDGER_FILE_BYTES = 128

export interface PeerQuotaInit {
  /** Bytes of shards one peer may have stored here; 0 = no limit (accounting still kept). */
  quotaBytes: number
  /** Where the pusher of each shard is recorded; none = in memory only (tests, a store without a repo). */
  dir?: string
  /** The store, to size shards on start and to notice shards deleted since they were counted. */
  store: Pick<ShardStore, 'shardSize'>
}

/** Bytes held per shard ("cid/index" → size) of one peer. */
type Held = Map<string, number>

export class PeerQuota {
  private readonly held = new Map<string, Held>()
  /** Bytes of puts in progress per peer (taken by reserve(), moved to `held` by commit()). */
  private readonly reserved = new Map<string, number>()
  /** Which peer each shard is counted against, for a shard pushed again by another peer. */
  private readonly pusherOf = new Map<string, string>()

  constructor (private readonly init: PeerQuotaInit) {}

  /** Rebuild the accounting from the ledger directory: every entry whose shard is still stored, by its size now. */
  async start (): Promise<void> {
    const dir = this.init.dir
    if (dir === undefined) return
    await mkdir(dir, { recursive: true, mode: 0o700 })
    for (const name of await readdir(dir)) {
      const key = keyOfFileName(name)
      // Not ours (a temp file of a write a crash cut short, or anything else): removed if a file, it counts for no one.
      if (key === undefined) {
        await drop(dir, name)
        continue
      }
      const peer = await readFileBounded(join(dir, name), MAX_LEDGER_FILE_BYTES).then(text => text.trim(), () => undefined)
      const size = await this.init.store.shardSize(key.cid, key.index).catch(() => undefined)
      if (peer === undefined || !PEER_ID_PATTERN.test(peer) || size === undefined) {
        log('ledger entry %s dropped (%s)', name, size === undefined ? 'no such shard' : 'unreadable')
        await drop(dir, name)
        continue
      }
      this.count(peer, `${key.cid}/${key.index}`, size)
    }
  }

  /** Bytes of `peer`'s shards stored here (not counting puts in progress). */
  usage (peer: string): number {
    let bytes = 0
    for (const size of this.held.get(peer)?.values() ?? []) bytes += size
    return bytes
  }

  /**
   * Take `bytes` of `peer`'s quota for a put in progress; ERR_QUOTA_EXCEEDED when its stored shards, its other puts in
   * progress and this one would pass the quota. Before refusing, the peer's shards are looked up again (some may have
   * been deleted since they were counted).
   */
  async reserve (peer: string, bytes: number): Promise<QuotaReservation> {
    if (this.init.quotaBytes > 0 && !this.fits(peer, bytes)) {
      await this.recount(peer)
      if (!this.fits(peer, bytes)) {
        throw new QuotaExceededError(peer, bytes, this.usage(peer) + (this.reserved.get(peer) ?? 0), this.init.quotaBytes)
      }
    }
    this.reserved.set(peer, (this.reserved.get(peer) ?? 0) + bytes)
    return new QuotaReservation(this, peer, bytes)
  }

  /** @internal QuotaReservation's: the put of `bytes` stored shard `index` of `cid`. */
  async committed (peer: string, bytes: number, cid: string, index: number): Promise<void> {
    this.released(peer, bytes)
    this.count(peer, `${cid}/${index}`, bytes)
    if (this.init.dir === undefined) return
    // The shard is stored already: a ledger that cannot be written costs only the accounting after a restart.
    await writeFileAtomic(join(this.init.dir, `${cid}.${index}`), peer, 0o600)
      .catch((err: Error) => { log.error('recording the pusher of shard %d of %s: %s', index, cid, err.message) })
  }

  /** @internal QuotaReservation's: a put in progress ended without storing anything. */
  released (peer: string, bytes: number): void {
    const left = (this.reserved.get(peer) ?? 0) - bytes
    if (left <= 0) this.reserved.delete(peer)
    else this.reserved.set(peer, left)
  }

  private fits (peer: string, bytes: number): boolean {
    return this.usage(peer) + (this.reserved.get(peer) ?? 0) + bytes <= this.init.quotaBytes
  }

  /** Count `key` against `peer` (and no longer against whoever pushed it before: a shard pushed again replaces it). */
  private count (peer: string, key: string, size: number): void {
    const before = this.pusherOf.get(key)
    if (before !== undefined) this.forget(before, key)
    const held = this.held.get(peer) ?? new Map()
    held.set(key, size)
    this.held.set(peer, held)
    this.pusherOf.set(key, peer)
  }

  private forget (peer: string, key: string): void {
    const held = this.held.get(peer)
    held?.delete(key)
    if (held?.size === 0) this.held.delete(peer)
    this.pusherOf.delete(key)
  }

  /** Drop `peer`'s shards the store no longer holds, and their ledger files. */
  private async recount (peer: string): Promise<void> {
    for (const key of [...this.held.get(peer)?.keys() ?? []]) {
      const [cid, index] = key.split('/')
      const size = await this.init.store.shardSize(cid, Number(index)).catch(() => undefined)
      if (size !== undefined || this.pusherOf.get(key) !== peer) continue
      this.forget(peer, key)
      if (this.init.dir !== undefined) await rm(join(this.init.dir, `${cid}.${index}`), { force: true })
    }
    if (this.init.dir !== undefined) await fsyncPath(this.init.dir, { directory: true }).catch(() => {})
  }
}

/** One put's hold on its peer's quota: commit() once the shard is stored, release() otherwise (idempotent). */
export class QuotaReservation {
  private done = false

  constructor (private readonly quota: PeerQuota, readonly peer: string, readonly bytes: number) {}

  async commit (cid: string, index: number): Promise<void> {
    if (this.done) return
    this.done = true
    await this.quota.committed(this.peer, this.bytes, cid, index)
  }

  release (): void {
    if (this.done) return
    this.done = true
    this.quota.released(this.peer, this.bytes)
  }
}

/** `<cid>.<index>` → its parts, or undefined for any other name. */
function keyOfFileName (name: string): { cid: string, index: number } | undefined {
  const match = /^([a-z2-7]+)\.(\d{1,3})$/.exec(name)
  if (match === null || !CID_PATTERN.test(match[1])) return undefined
  const index = Number(match[2])
  return index <= MAX_SHARD_INDEX ? { cid: match[1], index } : undefined
}

/** Remove `name` from the ledger directory; one that cannot be (a directory put there) is left, and counts for no one. */
async function drop (dir: string, name: string): Promise<void> {
  await rm(join(dir, name), { force: true }).catch((err: Error) => { log('leaving %s in the ledger directory: %s', name, err.message) })
}
