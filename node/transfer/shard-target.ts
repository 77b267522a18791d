// Where one shard of a file goes while it is written: this node's store (through the same verifying receiver that
// serves peers) or a peer over the put protocol. Share and repair both stream blocks into targets, then commit in two
// phases: prepare every target (each verifies and stages its shard), and only then commit them.
import { logger } from '@libp2p/logger'
import type { ManifestCache } from '../manifest-cache.ts'
import { ShardUpload, type Dialer } from './shard-client.ts'
import { ShardReceiver } from './shard-receiver.ts'
import type { ShardStore } from '../store/shard-store.ts'

const log = logger('edgemirror:shard-target')

export interface ShardTarget {
  /** `hash`, when given, is the block's SHA-256 as this process computed it: this node's own store then need not hash
   *  the block again (a peer always does, it trusts nothing it is sent). */
  writeBlock (block: Uint8Array, signal?: AbortSignal, hash?: Uint8Array): Promise<void>
  /** Send the manifest; the holder verifies the whole shard against it and stages it (nothing visible yet). */
  prepare (manifestBytes: Uint8Array, signal?: AbortSignal): Promise<string>
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
    prepare: async (manifestBytes) => await receiver.prepare(manifestBytes),
    commit: async () => { try { return await receiver.commit() } finally { await receiver.abort() } },
    abort: () => { receiver.abort().catch((err) => { log.error('dropping local shard %d failed: %s', request.index, (err as Error).message) }) }
  }
}

/** Prepare every target, then commit every one; on a failure before the commits, abort them all. */
export async function commitAll (targets: ShardTarget[], manifestBytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  try {
    await Promise.all(targets.map(async t => await t.prepare(manifestBytes, signal)))
  } catch (err) {
    for (const t of targets) t.abort(err as Error)
    throw err
  }
  await Promise.all(targets.map(async t => await t.commit(signal)))
}
