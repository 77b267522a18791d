// Sharing a file: encode it as it streams in, push shard i of every stripe to the peer placement chose for it
// (this node included), then commit in two phases: every holder verifies and stages its shard against the manifest
// ("prepared"), and only when all are prepared (and this node has staged its own copy of the manifest) do they
// commit. A failure before that point makes every holder drop what it received: a share returns a CID or leaves
// nothing behind. A holder that refuses or does not answer the put is replaced before any data flows. A file shared
// before (same bytes, same coding, so the same CID) stores nothing new: shard indexes a holder proves it still has are
// dropped instead of committed; only lost ones are stored again (docs/MANIFEST.md, "Dedup"). With `encrypt` the bytes
// are encrypted as they stream in, under a fresh random key that goes back to the caller once, in the capability, and
// nowhere else (docs/ENCRYPTION.md).
import { randomBytes } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { encodeCapability } from '../../coder/capability.ts'
import { codecIdFor, createCodec } from '../../coder/codecs.ts'
import { DEFAULT_BLOCK_SIZE, OFFLOAD_MIN_BYTES } from '../../coder/constants.ts'
import { FILE_KEY_BYTES } from '../../coder/file-cipher.ts'
import { encodeFile, type EncodeResult } from '../../coder/encoder.ts'
import type { ByteSource } from '../../coder/stripe-reader.ts'
import { exactly } from './exact-size.ts'
import { SizeMismatchError } from '../../coder/errors.ts'
import { shardSize } from '../../coder/layout.ts'
import { sanitizeFileName, type Manifest } from '../../coder/manifest.ts'
import type { ShareOptions, ShareResult } from './types.ts'
import { FAILED_HOLDER_TTL_MS, PUT_ACCEPT_TIMEOUT_MS } from '../constants.ts'
import { classifyError, EdgemirrorError, HolderFailedError, NotEnoughPeersError, PlacementInfeasibleError, ShareIncompleteError } from '../errors.ts'
import { logOutcome, silentLog, type EventLog } from '../event-log.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import { withClaims, type OwnerClaim } from '../ownership.ts'
import type { PeerDirectory } from '../membership/peer-directory.ts'
import { placeShards, type ExplainedPlacement, type PlacementPeer, type PlacementRequest, type ShardReason, type Weights } from '../placement/index.ts'
import { locate } from '../transfer/locator.ts'
import { askClaim, type Dialer } from '../transfer/shard-client.ts'
import { proveClaims } from '../transfer/shard-proof.ts'
import { openShardTarget, writeShards, type PlacedTarget } from '../transfer/shard-target.ts'
import type { ShareRecords } from './share-records.ts'
import type { ShardStore, StagedManifest } from '../store/shard-store.ts'
import type { PeerInfoMessage } from '../wire/messages.ts'

const log = logger('edgemirror:share')

export interface ShareComponents {
  selfId: string
  store: ShardStore
  manifests: ManifestCache
  directory: Pick<PeerDirectory, 'connected' | 'refreshAll'>
  dial: Dialer
  /** The peers to ask whether they already hold a file being shared (dedup). */
  connectedPeers: () => string[]
  /** Where this node notes the name and time of what it shared (the manifest no longer holds them). */
  records: ShareRecords
  /** Told when this node's own copy of a shard failed its proof while checking what the swarm already holds. */
  onCorruptShard?: (cid: string, index: number) => void
  selfInfo: () => Promise<PeerInfoMessage>
  weights: Weights
  /** This node's signed claim to own `cid` (node/ownership.ts): every holder keeps it, so this node, and only it, may
   *  delete the file later. Without it the file has no owner (tests of share alone). */
  claimOwnership?: (cid: string) => Promise<OwnerClaim>
  /** Announce that this node can serve the manifest (DHT provide); best effort. */
  announce?: (cid: string) => Promise<void>
  /** How long a peer may take to accept a put before its shard goes elsewhere (default PUT_ACCEPT_TIMEOUT_MS). */
  acceptTimeoutMs?: number
  /** Milliseconds clock, for how long a failed holder is left out (default Date.now). */
  now?: () => number
  /** The operator's log: one line per share (node/event-log.ts). */
  log?: EventLog
}

/** A holder that failed, and why: left out of placements until `until`. */
interface FailedHolder { until: number, code: string }

export class ShareService {
  private readonly failed = new Map<string, FailedHolder>()

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

  async share (body: ByteSource, options: ShareOptions): Promise<ShareResult> {
    const { k, m, size } = options
    return await logOutcome(this.components.log ?? silentLog, 'share', { size, k, m }, async () => await this.shareFile(body, options),
      r => ({ cid: r.cid, codec: r.codec, holders: new Set(r.shards.map(s => s.peer)).size, warnings: r.warnings.length > 0 ? r.warnings.length : undefined }))
  }

  private async shareFile (body: ByteSource, options: ShareOptions): Promise<ShareResult> {
    const { k, m, size, signal } = options
    const { selfId, store } = this.components
    const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
    const codec = await createCodec(codecIdFor(k, options.codec), k, m)
    const geometry = { k, m, blockSize, fileSize: size }
    const upload = randomBytes(16).toString('hex')
    const peers = await this.candidates()
    // Readers are expected near the sharer by default: placement guesses latency by region for peers without an RTT.
    const request: PlacementRequest = { key: upload, k, m, shardSize: shardSize(geometry), allowFewerPeers: options.allowFewerPeers, readerRegion: peers[0].region }
    const { targets, placement, details, replaced } = await this.openTargets(request, peers, { upload, ...geometry }, signal)
    let staged: StagedManifest | undefined
    let encoded: EncodeResult | undefined
    let held = new Map<number, string>()
    let claim: OwnerClaim | undefined
    const offload = size >= OFFLOAD_MIN_BYTES
    // A fresh random key per share, never derived from the content (convergent encryption would let a holder confirm a
    // guessed file): so an encrypted share never deduplicates, and the zero IV of coder/file-cipher.ts is safe.
    const key = options.encrypt === true ? new Uint8Array(randomBytes(FILE_KEY_BYTES)) : undefined
    // Phase one: every holder verifies and stages its shard and the manifest (room reserved, nothing visible). Phase
    // two, the commits: nothing left that can run out of room, and the user's signal no longer applies (writeShards).
    const written = await writeShards(targets, async (writeStripe) => {
      encoded = await encodeFile(exactly(body, size), { codec, blockSize, expectedSize: size, signal, onProgress: options.onProgress, offload, key }, async (stripe) => {
        await writeStripe((_t, i) => stripe.blocks[i], (_t, i) => stripe.hashes[i])
      })
      return encoded.manifestBytes
    }, {
      signal,
      owners: async () => {
        claim = await this.components.claimOwnership?.((encoded as EncodeResult).cid)
        return claim !== undefined ? [claim] : []
      },
      failed: (t, err) => this.holderFailed(t, err),
      alreadyHeld: async () => {
        const { cid, manifest } = encoded as EncodeResult
        held = await this.provenHolders(cid, manifest, signal)
        return targets.filter(t => held.has(t.index))
      },
      // This node keeps the manifest too (it announces the file); if it has no room for it, nobody keeps anything.
      prepared: async (committing) => {
        const { cid, manifestBytes } = encoded as EncodeResult
        if (!committing.some(t => t.peer === selfId) && !(await store.hasManifest(cid))) staged = await store.stageManifest(cid, manifestBytes)
      },
      aborted: async () => { await staged?.abort() },
      tolerateCommitFailures: true
    })
    const file = encoded as EncodeResult
    const failures = written.failures.map(({ target: t, error }) => `shard ${t.index} on ${t.peer}: ${error.message}`)
    for (const f of failures) log.error('share %s: commit failed for %s', file.cid, f)
    const readable = targets.length - failures.length
    if (readable < k) throw new ShareIncompleteError(file.cid, readable, k, failures)
    await staged?.commit().catch((err) => { log.error('share %s: own copy of the manifest not kept: %s', file.cid, (err as Error).message) })
    // This node's own record of its claim, also when it holds no shard (its receiver keeps it when it does).
    if (claim !== undefined) await store.updateOwnership(file.cid, current => withClaims(current, [claim as OwnerClaim]))
    // The shards the swarm already held went to no put, so no put carried this share's claim to their holders.
    const unclaimed = claim !== undefined ? await this.tellHolders(claim, written.skipped.map(t => held.get(t.index) ?? t.peer), signal) : []
    this.components.manifests.remember(file.cid, file.manifest)
    this.components.announce?.(file.cid).catch((err) => { log('announce %s failed: %s', file.cid, (err as Error).message) })
    const recordWarning = await this.record(file, options)
    const facts = new Map(peers.map(p => [p.peerId, p]))
    // An index the swarm already held is shown where it is held, not where this share streamed it.
    const holders = targets.map(t => ({ index: t.index, peer: held.get(t.index) ?? t.peer }))
    const multiplePerPeer = new Set(holders.map(t => t.peer)).size < holders.length
    const alreadyHeld = written.skipped.map(t => t.index)
    if (alreadyHeld.length > 0) log('share %s: %d of %d shards already held in the swarm, not stored again', file.cid, alreadyHeld.length, targets.length)
    return {
      cid: file.cid,
      ...(key !== undefined ? { capability: encodeCapability({ cid: file.cid, key }) } : {}),
      size: file.manifest.fileSize,
      k,
      m,
      codec: codec.id,
      shards: holders.map(h => ({ ...h, region: facts.get(h.peer)?.region, zone: facts.get(h.peer)?.zone })),
      alreadyHeld,
      explain: [
        ...placement.explain(),
        ...replaced,
        ...(alreadyHeld.length > 0 ? [`already held in the swarm (this file was shared before), not stored again: shard(s) ${alreadyHeld.join(', ')}`] : [])
      ],
      placement: details,
      warnings: [
        ...recordWarning,
        ...unclaimed,
        ...(multiplePerPeer ? ['fewer peers than shards: some peers hold several shards of this file, so losing one of them costs more than one shard'] : []),
        ...replaced,
        ...failures.map(f => `not committed (repair will rebuild it): ${f}`)
      ]
    }
  }

  /**
   * Send `claim` to the holders of shards this share found already stored (claim protocol), so this node's rm is
   * needed too before the file goes. Best effort: a holder that did not record it is named in a warning (an rm by the
   * other owner would drop its copy, and repair would rebuild it from the holders that know this owner).
   */
  private async tellHolders (claim: OwnerClaim, holders: string[], signal?: AbortSignal): Promise<string[]> {
    const peers = [...new Set(holders)].filter(p => p !== this.components.selfId)
    const answers = await Promise.allSettled(peers.map(async peer => await askClaim(this.components.dial, peer, claim, signal)))
    return answers.flatMap((a, i) => {
      if (a.status === 'fulfilled' && a.value.recorded) return []
      const why = a.status === 'rejected' ? (a.reason as Error).message : 'it no longer holds the file'
      log.error('share %s: holder %s did not record this node\'s owner claim: %s', claim.cid, peers[i], why)
      return [`holder ${peers[i]} did not record this node as an owner (${why})`]
    })
  }

  /**
   * Open a put to the holder of every shard. A holder that refuses (store full, no such protocol, any error answer)
   * or does not accept in time is left out and its shard placed again by the same rules, with the shards already
   * opened counted as placed; until every shard has a holder or placement runs out of peers. Returns the targets in
   * index order, the reasons per shard, and a line per re-placed shard.
   */
  private async openTargets (request: PlacementRequest, peers: PlacementPeer[], put: { upload: string, k: number, m: number, blockSize: number, fileSize: number }, signal?: AbortSignal):
  Promise<{ targets: PlacedTarget[], placement: ExplainedPlacement, details: ShardReason[], replaced: string[] }> {
    const { weights } = this.components
    const avoided = this.avoided()
    const placement = this.placeAvoiding(request, peers, avoided)
    const reasons = new Map(placement.details.map(d => [d.index, d]))
    const opened = new Map<number, PlacedTarget>()
    const refused: string[] = []
    const replaced: string[] = []
    let pending = placement.shards
    // Holders already opened wait idle while a hung one times out; they give up after their stream idle timeout, so
    // the whole opening is bounded by two accept timeouts (10 + 10 s against 30 s idle by default).
    const acceptTimeoutMs = this.components.acceptTimeoutMs ?? PUT_ACCEPT_TIMEOUT_MS
    const deadline = this.now() + 2 * acceptTimeoutMs
    try {
      for (;;) {
        const remaining = deadline - this.now()
        if (remaining <= 0) {
          throw new EdgemirrorError('ERR_TIMEOUT', `no holder accepted shard(s) ${pending.map(s => s.index).join(', ')} within ${2 * acceptTimeoutMs} ms; refused by: ${replaced.join('; ')}`, { refused })
        }
        const components = { ...this.components, acceptTimeoutMs: Math.max(1, Math.floor(Math.min(acceptTimeoutMs, remaining))) }
        const results = await Promise.allSettled(pending.map(async s => await openShardTarget(components, s.peerId, { ...put, index: s.index }, signal)))
        const retry: number[] = []
        results.forEach((r, i) => {
          const { index, peerId } = pending[i]
          if (r.status === 'fulfilled') {
            opened.set(index, { index, peer: peerId, target: r.value })
            return
          }
          signal?.throwIfAborted()
          const err = classifyError(r.reason, peerId) as Error
          const code = err instanceof EdgemirrorError ? err.code : 'ERR_INTERNAL'
          this.remember(peerId, code)
          refused.push(peerId)
          replaced.push(`shard ${index}: ${peerId} refused it (${code}: ${err.message}); placed again without that peer`)
          log('share: %s refused shard %d (%s), placing it again', peerId, index, err.message)
          retry.push(index)
        })
        if (retry.length === 0) break
        let again: ExplainedPlacement
        try {
          again = placeShards({ ...request, indexes: retry, existing: [...opened.values()].map(t => ({ index: t.index, peerId: t.peer })), exclude: [...refused] }, peers, weights)
        } catch (err) {
          if (err instanceof NotEnoughPeersError || err instanceof PlacementInfeasibleError) {
            throw new EdgemirrorError(err.code, `${err.message}; refused by: ${replaced.join('; ')}`, { ...err.details, refused }, { cause: err })
          }
          throw err
        }
        for (const d of again.details) reasons.set(d.index, d)
        pending = again.shards
      }
    } catch (err) {
      for (const t of opened.values()) t.target.abort(err as Error)
      throw err
    }
    const targets = [...opened.values()].sort((a, b) => a.index - b.index)
    return { targets, placement, details: targets.flatMap(t => reasons.get(t.index) ?? []), replaced }
  }

  /**
   * Which shard indexes of `cid` the swarm already holds, and a holder of each that proved it (one block at a stripe it
   * could not predict, as `check` asks): a share of a file shared before then commits only the indexes nobody holds.
   * A claim is not enough: a holder that lost or rotted its copy would have it skipped. Any failure here means no
   * dedup (every shard is committed; a duplicate costs space, never the file). Every holder sits prepared and idle
   * meanwhile, so the whole question gets the accept timeout, which is kept well inside their idle timeout.
   */
  private async provenHolders (cid: string, manifest: Manifest, signal?: AbortSignal): Promise<Map<number, string>> {
    const proven = new Map<number, string>()
    const timeoutMs = this.components.acceptTimeoutMs ?? PUT_ACCEPT_TIMEOUT_MS
    const bounded = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal !== undefined ? [signal] : [])])
    try {
      const found = await locate(this.components, cid, { signal: bounded, providers: false })
      const claims = [...found.shards].flatMap(([index, peers]) => peers.map(peer => ({ index, peer })))
      if (claims.length === 0) return proven
      const proofs = await proveClaims(this.components, cid, manifest, claims, { signal: bounded, timeoutMs })
      claims.forEach((c, i) => { if (proofs[i] === 'ok' && !proven.has(c.index)) proven.set(c.index, c.peer) })
    } catch (err) {
      signal?.throwIfAborted()
      log.error('share %s: could not ask who holds it already, storing every shard: %s', cid, (err as Error).message)
    }
    return proven
  }

  /** Note the name and time of this share (a re-share replaces them). A failure costs the name in `ls`, not the file:
   *  it is a warning. */
  private async record (file: EncodeResult, options: ShareOptions): Promise<string[]> {
    const name = sanitizeFileName(options.name ?? '')
    const { cid, manifest } = file
    try {
      await this.components.records.put({
        cid, name: name === '' ? null : name, size: manifest.fileSize, k: manifest.k, m: manifest.m, codec: manifest.codec, blockSize: manifest.blockSize, sharedAt: this.now()
      })
      return []
    } catch (err) {
      log.error('share %s: share record not written: %s', cid, (err as Error).message)
      return [`the file is shared, but its name and time were not recorded (ls shows it without them): ${(err as Error).message}`]
    }
  }

  /** Place with the recently failed holders left out; if that leaves too few peers, with them (they may be back). */
  private placeAvoiding (request: PlacementRequest, peers: PlacementPeer[], avoided: string[]): ExplainedPlacement {
    const { weights } = this.components
    if (avoided.length > 0) {
      try {
        return placeShards({ ...request, exclude: avoided }, peers, weights)
      } catch (err) {
        if (!(err instanceof NotEnoughPeersError || err instanceof PlacementInfeasibleError)) throw err
        log('share: too few peers without the recently failed %s, trying them again', avoided.join(', '))
      }
    }
    return placeShards(request, peers, weights)
  }

  /** Peers that failed a share recently. */
  private avoided (): string[] {
    const now = this.now()
    for (const [peer, f] of this.failed) if (f.until <= now) this.failed.delete(peer)
    return [...this.failed.keys()]
  }

  private remember (peer: string, code: string): void {
    if (peer === this.components.selfId) return // this node is not avoided: its own errors go to the user as they are
    this.failed.set(peer, { until: this.now() + FAILED_HOLDER_TTL_MS, code })
  }

  /** A failure while streaming to, or preparing, a holder: typed, naming the peer, and remembered for the next share. */
  private holderFailed (t: PlacedTarget, err: unknown): unknown {
    if (t.peer === this.components.selfId) return classifyError(err)
    if (err instanceof HolderFailedError) return err
    const typed = classifyError(err) // the peer is named by HolderFailedError
    const cause = typed instanceof EdgemirrorError ? typed : new EdgemirrorError('ERR_REMOTE', (typed as Error)?.message ?? String(typed))
    this.remember(t.peer, cause.code)
    return new HolderFailedError(t.peer, t.index, cause)
  }

  private now (): number {
    return (this.components.now ?? Date.now)()
  }
}
