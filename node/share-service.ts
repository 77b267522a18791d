// Sharing a file: encode it as it streams in, push shard i of every stripe to the peer placement chose for it
// (this node included), then send each holder the manifest so it can verify and commit its shard.
import { randomBytes } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { codecIdFor, createCodec } from '../coder/codecs.ts'
import { DEFAULT_BLOCK_SIZE, OFFLOAD_MIN_BYTES } from '../coder/constants.ts'
import { encodeFile } from '../coder/encoder.ts'
import { shardSize } from '../coder/layout.ts'
import type { ShareOptions, ShareResult } from './api/types.ts'
import type { ManifestCache } from './manifest-cache.ts'
import type { PeerDirectory } from './peer-directory.ts'
import { placeShards, type PlacementPeer, type Weights } from './placement/index.ts'
import type { Dialer } from './shard-client.ts'
import { openShardTarget } from './shard-target.ts'
import type { ShardStore } from './store/shard-store.ts'
import type { PeerInfoMessage } from './wire/messages.ts'

const log = logger('edgemirror:share')

export interface ShareComponents {
  selfId: string
  store: ShardStore
  manifests: ManifestCache
  directory: Pick<PeerDirectory, 'connected' | 'refreshAll'>
  dial: Dialer
  selfInfo: () => Promise<PeerInfoMessage>
  weights: Weights
  /** Announce that this node can serve the manifest (DHT provide); best effort. */
  announce?: (cid: string) => Promise<void>
}

export class ShareService {
  constructor (private readonly components: ShareComponents) {}

  /** Peers placement may use, this node first, with their current facts. */
  async candidates (): Promise<PlacementPeer[]> {
    const { selfId, directory, selfInfo } = this.components
    await directory.refreshAll()
    const self = await selfInfo()
    const toPlacement = (peerId: string, info: PeerInfoMessage, rttMs: number | undefined): PlacementPeer => ({
      peerId, region: info.region, zone: info.zone, carbon: info.carbon, freeBytes: info.freeBytes ?? Infinity, usedBytes: info.usedBytes, rttMs
    })
    return [toPlacement(selfId, self, 0), ...directory.connected().map(r => toPlacement(r.peerId, r, r.rttMs ?? undefined))]
  }

  async share (body: AsyncIterable<Uint8Array>, options: ShareOptions): Promise<ShareResult> {
    const { k, m, size, signal } = options
    const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
    const codec = await createCodec(codecIdFor(k, options.codec), k, m)
    const geometry = { k, m, blockSize, fileSize: size }
    const upload = randomBytes(16).toString('hex')
    const peers = await this.candidates()
    // Readers are expected near the sharer by default: placement guesses latency by region for peers without an RTT.
    const readerRegion = peers[0].region
    const placement = placeShards({ key: upload, k, m, shardSize: shardSize(geometry), allowFewerPeers: options.allowFewerPeers, readerRegion }, peers, this.components.weights)
    const byIndex = [...placement.shards].sort((a, b) => a.index - b.index)
    const opened = await Promise.allSettled(byIndex.map(async s => await openShardTarget(this.components, s.peerId, { upload, index: s.index, ...geometry }, signal)))
    const targets = opened.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
    const refused = opened.find(r => r.status === 'rejected')
    if (refused !== undefined) {
      const reason = (refused as PromiseRejectedResult).reason as Error
      for (const t of targets) t.abort(reason)
      throw reason
    }
    try {
      const offload = size >= OFFLOAD_MIN_BYTES
      const encoded = await encodeFile(body, { codec, blockSize, name: options.name, expectedSize: size, signal, onProgress: options.onProgress, offload }, async (stripe) => {
        await Promise.all(targets.map(async (t, i) => { await t.writeBlock(stripe.blocks[i], signal, stripe.hashes[i]) }))
      })
      await Promise.all(targets.map(async t => await t.finish(encoded.manifestBytes, signal)))
      if (!(await this.components.store.hasManifest(encoded.cid))) await this.components.store.putManifest(encoded.cid, encoded.manifestBytes)
      this.components.manifests.remember(encoded.cid, encoded.manifest)
      this.components.announce?.(encoded.cid).catch((err) => { log('announce %s failed: %s', encoded.cid, (err as Error).message) })
      const facts = new Map(peers.map(p => [p.peerId, p]))
      return {
        cid: encoded.cid,
        size: encoded.manifest.fileSize,
        k,
        m,
        codec: codec.id,
        shards: byIndex.map(s => ({ index: s.index, peer: s.peerId, region: facts.get(s.peerId)?.region, zone: facts.get(s.peerId)?.zone })),
        explain: placement.explain(),
        placement: placement.details,
        warnings: placement.multiplePerPeer ? ['fewer peers than shards: some peers hold several shards of this file, so losing one of them costs more than one shard'] : []
      }
    } catch (err) {
      for (const t of targets) t.abort(err as Error)
      throw err
    }
  }
}
