// Where one shard of a file goes while it is written: this node's store (through the same verifying receiver that
// serves peers) or a peer over the put protocol. Share and repair both stream blocks into targets.
import type { ManifestCache } from './manifest-cache.ts'
import { ShardUpload, type Dialer } from './shard-client.ts'
import { ShardReceiver } from './shard-receiver.ts'
import type { ShardStore } from './store/shard-store.ts'

export interface ShardTarget {
  /** `hash`, when given, is the block's SHA-256 as this process computed it: this node's own store then need not hash
   *  the block again (a peer always does, it trusts nothing it is sent). */
  writeBlock (block: Uint8Array, signal?: AbortSignal, hash?: Uint8Array): Promise<void>
  /** Send the manifest; the holder verifies the whole shard against it and commits. Resolves with the CID. */
  finish (manifestBytes: Uint8Array, signal?: AbortSignal): Promise<string>
  abort (err: Error): void
}

export interface ShardTargetComponents {
  selfId: string
  store: ShardStore
  manifests: ManifestCache
  dial: Dialer
}

export interface ShardTargetRequest { upload: string, index: number, k: number, m: number, blockSize: number, fileSize: number }

export async function openShardTarget (components: ShardTargetComponents, peer: string, request: ShardTargetRequest, signal?: AbortSignal): Promise<ShardTarget> {
  const { selfId, store, manifests, dial } = components
  if (peer !== selfId) return await ShardUpload.open(dial, peer, request, signal)
  const receiver = await ShardReceiver.open(store, manifests, request, request.index)
  return {
    writeBlock: async (block, _signal, hash) => { await receiver.writeBlock(block, hash) },
    finish: async (manifestBytes) => { try { return await receiver.finish(manifestBytes) } finally { await receiver.abort() } },
    abort: () => { receiver.abort().catch(() => {}) }
  }
}
