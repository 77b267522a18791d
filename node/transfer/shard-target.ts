// Where one shard of a file goes while it is written: this node's store (through the same verifying receiver that
// serves peers) or a peer over the put protocol. Share and repair both write through writeShards(): stream blocks into
// every target, then commit in two phases: prepare every target (each verifies and stages its shard), then commit them.
import { logger } from '@libp2p/logger'
import type { ManifestCache } from '../manifest-cache.ts'
import type { OwnerClaim } from '../ownership.ts'
import { ShardUpload, type Dialer } from './shard-client.ts'
import { ShardReceiver } from './shard-receiver.ts'
import type { ShardStore } from '../store/shard-store.ts'

const log = logger('edgemirror:shard-target')

export interface ShardTarget {
  /** `hash`, when given, is the block's SHA-256 as this process computed it: this node's own store then need not hash
   *  the block again (a peer always does, it trusts nothing it is sent). */
  writeBlock (block: Uint8Array, signal?: AbortSignal, hash?: Uint8Array): Promise<void>
  /** Send the manifest and the file's owner claims; the holder verifies the whole shard against it and stages it
   *  (nothing visible yet). */
  prepare (manifestBytes: Uint8Array, signal?: AbortSignal, owners?: OwnerClaim[]): Promise<string>
  /** Publish the prepared shard. Resolves with the CID. */
  commit (signal?: AbortSignal): Promise<string>
  /** Drop everything sent so far (a no-op after commit). */
  abort (err: Error): void
}

export interface ShardTargetComponents {
  selfId: string
  store: ShardStore
  manifests: ManifestCache
  dial: Dialer
  /** How long a peer may take to accept a put (default PUT_ACCEPT_TIMEOUT_MS). */
  acceptTimeoutMs?: number
}

export interface ShardTargetRequest { upload: string, index: number, k: number, m: number, blockSize: number, fileSize: number }

export async function openShardTarget (components: ShardTargetComponents, peer: string, request: ShardTargetRequest, signal?: AbortSignal): Promise<ShardTarget> {
  const { selfId, store, manifests, dial } = components
  if (peer !== selfId) return await ShardUpload.open(dial, peer, request, signal, components.acceptTimeoutMs)
  const receiver = await ShardReceiver.open(store, manifests, request, request.index)
  return {
    writeBlock: async (block, _signal, hash) => { await receiver.writeBlock(block, hash) },
    prepare: async (manifestBytes, _signal, owners) => await receiver.prepare(manifestBytes, owners),
    commit: async () => { try { return await receiver.commit() } finally { await receiver.abort() } },
    abort: () => { receiver.abort().catch((err) => { log.error('dropping local shard %d failed: %s', request.index, (err as Error).message) }) }
  }
}

/** A shard index, the peer writing it, and its open target. */
export interface PlacedTarget { index: number, peer: string, target: ShardTarget }

/** Open a target for every placed shard, one after the other; if one fails to open, those already open are aborted. */
export async function openShardTargets (components: ShardTargetComponents, shards: Array<{ index: number, peerId: string }>, request: Omit<ShardTargetRequest, 'index'>, signal?: AbortSignal): Promise<PlacedTarget[]> {
  const targets: PlacedTarget[] = []
  try {
    for (const s of shards) {
      targets.push({ index: s.index, peer: s.peerId, target: await openShardTarget(components, s.peerId, { ...request, index: s.index }, signal) })
    }
  } catch (err) {
    for (const t of targets) t.target.abort(err as Error)
    throw err
  }
  return targets
}

/** Sends one stripe: block `blockOf(t, i)` to target i, all in parallel (each waits for its stream to drain). */
export type WriteStripe<T extends PlacedTarget> = (blockOf: (t: T, i: number) => Uint8Array, hashOf?: (t: T, i: number) => Uint8Array | undefined) => Promise<void>

export interface WriteShardsOptions<T extends PlacedTarget> {
  /** For the writes and the prepares. */
  signal?: AbortSignal
  /** The file's signed owner claims, sent with the manifest and kept by every holder: the sharer's own (share), or
   *  those the repairer holds (repair), so a rebuilt shard keeps its owners. Asked once the manifest exists. */
  owners?: () => Promise<OwnerClaim[]>
  /** The error to throw for a target's failure while writing or preparing (share names the holder; default: as is). */
  failed?: (t: T, err: unknown) => unknown
  /** Runs once every target is prepared, before `prepared`: the targets whose shard the swarm already holds (a share
   *  of a file that was shared before: dedup). They are aborted instead of committed, so they keep no second copy;
   *  if it throws, every target is aborted. */
  alreadyHeld?: () => Promise<T[]>
  /** Runs once every target is prepared, before any commit, with the targets that will commit; if it throws, every
   *  target is aborted (share stages this node's own copy of the manifest here). */
  prepared?: (committing: T[]) => Promise<void>
  /** Runs with the targets' abort when a failure comes before the commits (share drops its staged manifest). */
  aborted?: () => Promise<void>
  /** For the commits. Share gives none: stopping half way through the commits would leave some holders with a shard
   *  and others without. Repair gives its own (the node is stopping). */
  commitSignal?: AbortSignal
  /** Tolerate failed commits: the failures are returned, and the caller decides whether enough committed (share needs
   *  k). Otherwise (repair) the first failed commit is thrown as it happens. */
  tolerateCommitFailures?: boolean
}

/**
 * The fan-out share and repair both run (docs/PROTOCOLS.md, "A failed share"): `stream` pushes every stripe to every
 * target through `writeStripe` and returns the manifest bytes; then every target verifies and stages its shard against
 * the manifest (prepare), and only when all are prepared do they commit. A failure before the commits aborts every
 * target, so nothing is left behind. Returns the manifest bytes, the targets skipped as already held (alreadyHeld) and
 * the failed commits (tolerateCommitFailures only).
 */
export async function writeShards<T extends PlacedTarget> (targets: T[], stream: (writeStripe: WriteStripe<T>) => Promise<Uint8Array>, options: WriteShardsOptions<T> = {}):
Promise<{ manifestBytes: Uint8Array, skipped: T[], failures: Array<{ target: T, error: Error }> }> {
  const { signal } = options
  const failed = options.failed ?? ((_t: T, err: unknown) => err)
  let manifestBytes: Uint8Array
  let skipped: T[] = []
  let committing = targets
  try {
    manifestBytes = await stream(async (blockOf, hashOf) => {
      await Promise.all(targets.map(async (t, i) => {
        await t.target.writeBlock(blockOf(t, i), signal, hashOf?.(t, i)).catch((err) => { throw failed(t, err) })
      }))
    })
    const owners = await options.owners?.() ?? []
    await Promise.all(targets.map(async t => await t.target.prepare(manifestBytes, signal, owners).catch((err) => { throw failed(t, err) })))
    skipped = await options.alreadyHeld?.() ?? []
    committing = targets.filter(t => !skipped.includes(t))
    await options.prepared?.(committing)
  } catch (err) {
    for (const t of targets) t.target.abort(err as Error)
    await options.aborted?.()
    throw err
  }
  for (const t of skipped) t.target.abort(new Error('shard already held in the swarm'))
  const commits = committing.map(async t => await t.target.commit(options.commitSignal))
  if (options.tolerateCommitFailures !== true) {
    try {
      await Promise.all(commits)
    } catch (err) {
      for (const t of committing) t.target.abort(err as Error) // a no-op for the targets that committed
      throw err
    }
    return { manifestBytes, skipped, failures: [] }
  }
  const settled = await Promise.allSettled(commits)
  return { manifestBytes, skipped, failures: settled.flatMap((r, i) => r.status === 'rejected' ? [{ target: committing[i], error: r.reason as Error }] : []) }
}
