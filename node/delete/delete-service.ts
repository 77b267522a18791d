// Deleting a file: the node that shared it signs a tombstone and hands it to every holder it can find; each holder
// checks the signature and that the signer owns the file, keeps the tombstone, and removes the file's shards and
// manifest once the grace period has passed (until then the file can still be fetched). Tombstones outlive the bytes,
// and holders hand them on in their shard reports (has 2.0.0), so a holder that was away during the delete drops its
// copy when it is back, and repair never rebuilds a deleted file. Design: docs/PROTOCOLS.md ("delete"), docs/REPAIR.md.
import { logger } from '@libp2p/logger'
import { parseCid } from '../../coder/manifest.ts'
import { DEFAULT_DELETE_GRACE_MS } from '../constants.ts'
import { EdgemirrorError, InvalidSignatureError, NotFoundError, NotOwnerError, classifyError } from '../errors.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import { isDeleted, verifyTombstone, withTombstone, type OwnershipRecord, type Tombstone } from '../ownership.ts'
import type { Startable } from '../startable.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { locate, type LocatorComponents } from '../transfer/locator.ts'
import { askDelete } from '../transfer/shard-client.ts'
import type { DeleteAnswer } from '../wire/messages.ts'
import type { DeleteStats, DeletionView, RmHolder, RmResult } from './types.ts'

const log = logger('edgemirror:delete')

/** setTimeout's longest delay (2^31 − 1 ms, ~24.8 days): a later purge is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface DeleteComponents extends LocatorComponents {
  store: ShardStore
  manifests: Pick<ManifestCache, 'forget'>
  /** This node's signed delete of `cid` (node/ownership.ts, signTombstone with the node's identity key). */
  signTombstone: (cid: string, graceMs: number) => Promise<Tombstone>
  now?: () => number
}

export interface DeleteInit {
  /** How long holders keep a deleted file before removing it (default DEFAULT_DELETE_GRACE_MS). */
  graceMs?: number
}

export class DeleteService implements Startable {
  private readonly graceMs: number
  private readonly now: () => number
  /** cid → when this node removes its bytes. */
  private readonly pending = new Map<string, number>()
  private readonly stats = { filesDeleted: 0, bytesReclaimed: 0 }
  private timer: NodeJS.Timeout | undefined
  private purging: Promise<void> | undefined
  private running = false

  constructor (private readonly components: DeleteComponents, init: DeleteInit = {}) {
    this.graceMs = init.graceMs ?? DEFAULT_DELETE_GRACE_MS
    this.now = components.now ?? Date.now
  }

  async start (): Promise<void> {
    this.running = true
    const { store } = this.components
    for (const cid of await store.listOwnership()) {
      const record = await store.getOwnership(cid)
      if (record?.purgeAt !== undefined && record.purgedAt === undefined) this.pending.set(cid, record.purgeAt)
    }
    this.schedule()
  }

  async stop (): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
    await this.purging
  }

  counters (): DeleteStats {
    return { ...this.stats, deletesPending: this.pending.size }
  }

  /** Bytes of shards this node still stores for deleted files in their grace: what it reclaims when the grace ends. */
  async reclaimableBytes (): Promise<number> {
    let bytes = 0
    for (const cid of this.pending.keys()) {
      for (const shard of await this.components.store.listShards(cid)) bytes += shard.size
    }
    return bytes
  }

  /**
   * `edgemirror rm CID` on this node: sign a tombstone and give it to every holder found (this node included). Fails
   * with ERR_NOT_FOUND when no node holds anything of the file, ERR_NOT_OWNER when every holder that answered refused
   * because this node does not own it; otherwise says what each holder did.
   */
  async rm (cid: string, options: { signal?: AbortSignal } = {}): Promise<RmResult> {
    parseCid(cid)
    const { components } = this
    const { selfId, store } = components
    const tombstone = await components.signTombstone(cid, this.graceMs)
    const holders = await locate(components, cid, { signal: options.signal })
    const peers = new Set([...holders.manifest, ...[...holders.shards.values()].flat()])
    const selfKnows = peers.has(selfId) || (await store.getOwnership(cid)) !== undefined
    peers.delete(selfId)
    if (!selfKnows && peers.size === 0) throw new NotFoundError(`no reachable peer holds ${cid}`, { cid })
    const answers = await Promise.all([
      ...(selfKnows ? [outcomeOf(selfId, this.accept(tombstone))] : []),
      ...[...peers].sort().map(async peer => await outcomeOf(peer, askDelete(components.dial, peer, tombstone, options.signal)))
    ])
    const holding = answers.map(a => a.holder)
    // A dropped manifest cache says nothing about ownership: only holders that know the owners decide.
    const accepted = answers.filter(a => a.answer !== undefined && !a.answer.cacheOnly)
    if (accepted.length === 0) {
      if (holding.some(h => h.code === 'ERR_NOT_OWNER')) throw new NotOwnerError(cid, selfId)
      const first = holding.find(h => h.code !== undefined)
      throw new EdgemirrorError(first?.code ?? 'ERR_PEER_UNAVAILABLE', `no holder of ${cid} took the delete: ${holding.map(h => `${h.peer} ${h.outcome}${h.message !== undefined ? ` (${h.message})` : ''}`).join('; ')}`, { cid, holders: holding })
    }
    const deleted = accepted.every(a => a.answer?.deleted === true)
    const purgeAt = accepted.map(a => a.answer?.purgeAt ?? null).find(p => p !== null) ?? null
    log('rm %s: %s', cid, holding.map(h => `${h.peer} ${h.outcome}`).join(', '))
    return { cid, deleted, purgeAt: deleted ? purgeAt : null, graceMs: this.graceMs, holders: holding }
  }

  /** A delete asked of this node (the delete protocol, or this node's own rm): checked, kept, and the purge scheduled. */
  async accept (tombstone: Tombstone): Promise<DeleteAnswer> {
    const { store } = this.components
    const { cid, owner } = tombstone
    const current = await store.getOwnership(cid)
    if (!(await verifyTombstone(tombstone))) throw new InvalidSignatureError('delete request', { cid, owner })
    if (current === undefined) {
      if (await this.dropManifestCache(cid)) return { deleted: true, purgeAt: this.now(), cacheOnly: true }
      // Shards without a record: stored before owner claims existed, so they have no owner and cannot be deleted so.
      if ((await store.listShards(cid)).length > 0) throw new NotOwnerError(cid, owner)
      throw new NotFoundError(`${cid} on this node`, { cid })
    }
    if (!current.owners.some(c => c.owner === owner)) throw new NotOwnerError(cid, owner)
    const next = await this.apply(cid, tombstone)
    return { deleted: isDeleted(next), purgeAt: next?.purgeAt ?? null, cacheOnly: false }
  }

  /**
   * A node that fetched or checked a file keeps a copy of its manifest (find-file.ts), with no shard and no owner
   * record: it cannot tell an owner's delete from anyone else's, so any validly signed tombstone (checked by the
   * caller) drops that copy at once. The worst a stranger's tombstone can do is make this node fetch the manifest
   * again the next time it reads the file. Returns whether a copy was dropped.
   */
  private async dropManifestCache (cid: string): Promise<boolean> {
    const { store, manifests } = this.components
    if ((await store.listShards(cid)).length > 0) return false
    const manifest = await store.getManifest(cid)
    if (manifest === undefined) return false
    await store.deleteManifest(cid)
    manifests.forget(cid)
    this.stats.bytesReclaimed += manifest.byteLength
    log('%s deleted: dropped this node\'s copy of its manifest (%d bytes)', cid, manifest.byteLength)
    return true
  }

  /** Tombstones a peer reported for `cid` (has 2.0.0): each one whose signer owns the file here and is news is
   *  verified and kept; the rest are ignored (anyone may sign a tombstone, only an owner's counts). */
  async learn (cid: string, tombstones: Tombstone[]): Promise<void> {
    const { store } = this.components
    for (const t of tombstones) {
      if (t.cid !== cid) continue
      const current = await store.getOwnership(cid)
      if (current === undefined) {
        if (await verifyTombstone(t)) await this.dropManifestCache(cid)
        continue
      }
      if (!current.owners.some(c => c.owner === t.owner)) continue
      if (current.tombstones.some(k => k.owner === t.owner && k.issuedAt >= t.issuedAt)) continue
      if (!(await verifyTombstone(t))) {
        log.error('a peer reported a tombstone for %s with a bad signature (signer %s): ignored', cid, t.owner)
        continue
      }
      await this.apply(cid, t)
    }
  }

  async isDeleted (cid: string): Promise<boolean> {
    return isDeleted(await this.components.store.getOwnership(cid))
  }

  /** Whether and when `cid` was deleted, as this node knows it (undefined: not deleted, or never heard of). */
  async deletion (cid: string): Promise<DeletionView | undefined> {
    const record = await this.components.store.getOwnership(cid)
    if (record === undefined || !isDeleted(record)) return undefined
    return {
      deletedBy: record.tombstones.map(t => t.owner),
      deletedAt: Math.max(...record.tombstones.map(t => t.issuedAt)),
      purgeAt: record.purgeAt ?? null,
      purged: record.purgedAt !== undefined
    }
  }

  private async apply (cid: string, tombstone: Tombstone): Promise<OwnershipRecord | undefined> {
    const next = await this.components.store.updateOwnership(cid, current => current === undefined ? undefined : withTombstone(current, tombstone, this.now()))
    if (next?.purgeAt !== undefined && next.purgedAt === undefined) {
      log('%s deleted by %s: its bytes go at %s', cid, tombstone.owner, new Date(next.purgeAt).toISOString())
      this.pending.set(cid, next.purgeAt)
      this.schedule()
    }
    return next
  }

  // ---- purging -----------------------------------------------------------------------------------------------------

  private schedule (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (!this.running || this.pending.size === 0 || this.purging !== undefined) return
    const due = Math.min(...this.pending.values())
    this.timer = setTimeout(() => {
      this.purging = this.purgeDue().catch((err) => { log.error('purging deleted files failed: %s', (err as Error).message) }).finally(() => {
        this.purging = undefined
        this.schedule()
      })
    }, Math.min(MAX_TIMER_MS, Math.max(0, due - this.now())))
    this.timer.unref()
  }

  private async purgeDue (): Promise<void> {
    for (const [cid, at] of [...this.pending]) {
      if (!this.running) return
      if (at > this.now()) continue
      this.pending.delete(cid)
      await this.purge(cid).catch((err) => {
        log.error('removing deleted file %s failed: %s', cid, (err as Error).message)
        this.pending.set(cid, this.now() + this.graceMs) // tried again later
      })
    }
  }

  /** Remove the shards and manifest of a file still deleted, and note that they are gone (the record stays). */
  private async purge (cid: string): Promise<void> {
    const { store, manifests } = this.components
    const record = await store.getOwnership(cid)
    if (!isDeleted(record) || record?.purgedAt !== undefined) return // shared again meanwhile, or already done
    let bytes = 0
    for (const shard of await store.listShards(cid)) {
      await store.deleteShard(cid, shard.index)
      bytes += shard.size
    }
    const manifest = await store.getManifest(cid)
    if (manifest !== undefined) {
      await store.deleteManifest(cid)
      bytes += manifest.byteLength
    }
    manifests.forget(cid)
    this.stats.filesDeleted++
    this.stats.bytesReclaimed += bytes
    await store.updateOwnership(cid, current => current === undefined || !isDeleted(current) ? current : { ...current, purgedAt: this.now() })
    log('%s removed after its delete grace: %d bytes reclaimed', cid, bytes)
  }
}

/** One holder's answer to a delete, as an outcome line (its error kept by code, not thrown). */
async function outcomeOf (peer: string, answering: Promise<DeleteAnswer>): Promise<{ holder: RmHolder, answer?: DeleteAnswer }> {
  try {
    const answer = await answering
    return { holder: { peer, outcome: answer.cacheOnly ? 'cache dropped' : answer.deleted ? 'deleted' : 'released' }, answer }
  } catch (raw) {
    const err = classifyError(raw, peer)
    const code = err instanceof EdgemirrorError ? err.code : 'ERR_INTERNAL'
    const outcome = code === 'ERR_PEER_UNAVAILABLE' || code === 'ERR_TIMEOUT' ? 'unreachable' : 'refused'
    return { holder: { peer, outcome, code, message: (err as Error).message } }
  }
}
