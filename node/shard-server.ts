// Serves the edgemirror protocols to other peers: accept shards (verified block by block before they are
// committed), serve shards (verified again as they are read, so rot is never passed on), answer has/manifest/info.
import type { Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { HashMismatchError, InvalidParametersError } from '../coder/errors.ts'
import { blockMatches } from '../coder/hash.ts'
import { shardSize, stripeCount } from '../coder/layout.ts'
import { ShardReceiver } from './shard-receiver.ts'
import { readStoredBlocks } from './store/read-block.ts'
import { MAX_HEADER_FRAME, MAX_INBOUND_TRANSFERS, PROTOCOL_GET, PROTOCOL_HAS, PROTOCOL_INFO, PROTOCOL_MANIFEST, PROTOCOL_PEERS, PROTOCOL_PUT, PROTOCOL_PUT_V1 } from './constants.ts'
import { classifyError, NotFoundError } from './errors.ts'
import type { ManifestCache } from './manifest-cache.ts'
import type { ShardStore } from './store/shard-store.ts'
import { FrameReader } from './wire/frame-reader.ts'
import { FrameWriter } from './wire/frame-writer.ts'
import { errorMessage, okMessage, parseGetRequest, parseHasRequest, parseManifestRequest, parsePutCommit, parsePutRequest, parsePutTrailer, type KnownPeer, type PeerInfoMessage } from './wire/messages.ts'
import { MAX_MANIFEST_BYTES } from '../coder/constants.ts'

const log = logger('edgemirror:shard-server')

export interface Registrar {
  handle (protocol: string, handler: (stream: Stream) => void | Promise<void>, options?: { maxInboundStreams?: number }): Promise<void>
  unhandle (protocol: string): Promise<void>
}

export interface ShardServerComponents {
  registrar: Registrar
  store: ShardStore
  manifests: ManifestCache
  /** This peer's facts for the info protocol. */
  info: () => Promise<PeerInfoMessage>
  /** The peers this node is connected to, for the peer exchange. */
  knownPeers: () => Promise<KnownPeer[]>
  /** Told when a stored shard failed verification while being served (the repair path listens). */
  onCorruptShard?: (cid: string, index: number) => void
  /** Told when a shard was stored. */
  onShardStored?: (cid: string, index: number) => void
  /** Idle timeout for inbound streams (default STREAM_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number
}

export class ShardServer {
  private readonly protocols: Array<[string, (stream: Stream) => Promise<void>]>

  constructor (private readonly components: ShardServerComponents) {
    this.protocols = [
      [PROTOCOL_PUT, async (s) => { await this.handlePut(s, true) }],
      [PROTOCOL_PUT_V1, async (s) => { await this.handlePut(s, false) }],
      [PROTOCOL_GET, async (s) => { await this.handleGet(s) }],
      [PROTOCOL_HAS, async (s) => { await this.handleHas(s) }],
      [PROTOCOL_MANIFEST, async (s) => { await this.handleManifest(s) }],
      [PROTOCOL_INFO, async (s) => { await this.handleInfo(s) }],
      [PROTOCOL_PEERS, async (s) => { await this.handlePeers(s) }]
    ]
  }

  async start (): Promise<void> {
    for (const [protocol, handler] of this.protocols) {
      await this.components.registrar.handle(protocol, async (stream) => { await serve(protocol, stream, handler) }, { maxInboundStreams: MAX_INBOUND_TRANSFERS })
    }
  }

  async stop (): Promise<void> {
    for (const [protocol] of this.protocols) await this.components.registrar.unhandle(protocol)
  }

  /**
   * put 2.0.0: request → accept → one frame per block → manifest → prepared → commit → result. Until the commit
   * arrives the shard and the manifest are staged only (space reserved, nothing visible); a stream that closes,
   * resets or stays silent for the idle timeout before it makes the receiver drop them (the finally below).
   * put 1.0.0 (`twoPhase` false) commits on the manifest, for sharers that predate 2.0.0.
   */
  private async handlePut (stream: Stream, twoPhase: boolean): Promise<void> {
    const reader = this.reader(stream)
    const writer = new FrameWriter(stream)
    const request = parsePutRequest(await reader.expect(MAX_HEADER_FRAME, 'put request'))
    const geometry = { k: request.k, m: request.m, blockSize: request.blockSize, fileSize: request.fileSize }
    const receiver = await ShardReceiver.open(this.components.store, this.components.manifests, geometry, request.index)
    try {
      await writer.write(okMessage())
      for (let size = receiver.nextBlockSize(); size !== undefined; size = receiver.nextBlockSize()) {
        await receiver.writeBlock(await reader.expect(size, 'block'))
      }
      const manifest = parsePutTrailer(await reader.expect(MAX_MANIFEST_BYTES + 1024, 'manifest trailer'))
      if (twoPhase) {
        const cid = await receiver.prepare(manifest)
        await writer.write(okMessage({ prepared: true, cid }))
        parsePutCommit(await reader.expect(MAX_HEADER_FRAME, 'commit'))
      }
      const cid = twoPhase ? await receiver.commit() : await receiver.finish(manifest)
      this.components.onShardStored?.(cid, request.index)
      await writer.write(okMessage({ cid }))
      await stream.close()
    } finally {
      await receiver.abort()
    }
  }

  /** get: request (cid, index, stripe range) → header → one verified frame per block. */
  private async handleGet (stream: Stream): Promise<void> {
    const { store, manifests } = this.components
    const reader = this.reader(stream)
    const writer = new FrameWriter(stream)
    const request = parseGetRequest(await reader.expect(MAX_HEADER_FRAME, 'get request'))
    const manifest = await manifests.get(request.cid)
    const size = await store.shardSize(request.cid, request.index)
    if (manifest === undefined || size === undefined) throw new NotFoundError(`shard ${request.index} of ${request.cid}`)
    if (size !== shardSize(manifest)) {
      await this.corrupt(request.cid, request.index, `size ${size} differs from the manifest's ${shardSize(manifest)}`)
      throw new NotFoundError(`shard ${request.index} of ${request.cid}`)
    }
    const stripes = stripeCount(manifest)
    const to = Math.min(request.to ?? stripes, stripes)
    if (request.from > to) throw new InvalidParametersError(`stripe range ${request.from}..${to} is outside 0..${stripes}`)
    await writer.write(okMessage({ from: request.from, to }))
    try {
      let s = request.from
      for await (const block of readStoredBlocks(store, request.cid, request.index, manifest, request.from, to)) {
        if (!blockMatches(block, manifest.shardHashes[request.index], s)) {
          await this.corrupt(request.cid, request.index, `block ${s} fails its hash`)
          throw new HashMismatchError(`stored shard ${request.index} of ${request.cid} is corrupt`)
        }
        await writer.write(block)
        s++
      }
    } catch (err) {
      // Blocks are already flowing, so no error frame can follow: reset the stream and the reader moves on.
      stream.abort(err as Error)
      return
    }
    await stream.close()
  }

  private async handleHas (stream: Stream): Promise<void> {
    const { store } = this.components
    const reader = this.reader(stream)
    const cids = parseHasRequest(await reader.expect(MAX_HEADER_FRAME, 'has request'))
    const files = []
    for (const cid of cids) {
      const shards = (await store.listShards(cid).catch(() => [])).map(s => s.index)
      const manifest = await store.hasManifest(cid).catch(() => false)
      files.push({ cid, manifest, shards })
    }
    await new FrameWriter(stream).write(okMessage({ files }))
    await stream.close()
  }

  private async handleManifest (stream: Stream): Promise<void> {
    const reader = this.reader(stream)
    const cid = parseManifestRequest(await reader.expect(MAX_HEADER_FRAME, 'manifest request'))
    const bytes = await this.components.store.getManifest(cid)
    if (bytes === undefined) throw new NotFoundError(`manifest ${cid}`)
    await new FrameWriter(stream).write(okMessage({ manifest: bytes }))
    await stream.close()
  }

  private async handleInfo (stream: Stream): Promise<void> {
    await new FrameWriter(stream).write(okMessage({ ...(await this.components.info()) }))
    await stream.close()
  }

  private async handlePeers (stream: Stream): Promise<void> {
    await new FrameWriter(stream).write(okMessage({ peers: await this.components.knownPeers() }))
    await stream.close()
  }

  private reader (stream: Stream): FrameReader {
    return new FrameReader(stream, { idleTimeoutMs: this.components.idleTimeoutMs })
  }

  private async corrupt (cid: string, index: number, reason: string): Promise<void> {
    log.error('quarantining shard %d of %s: %s', index, cid, reason)
    await this.components.store.quarantineShard(cid, index, reason).catch((err) => { log.error('quarantine failed: %e', err) })
    this.components.onCorruptShard?.(cid, index)
  }
}

/** Run a handler; any failure is reported to the peer as a typed error frame when possible, then the stream ends. */
async function serve (protocol: string, stream: Stream, handler: (stream: Stream) => Promise<void>): Promise<void> {
  try {
    await handler(stream)
  } catch (err) {
    log('%s failed: %s', protocol, (err as Error).message)
    try {
      if (stream.writeStatus === 'writable') {
        await new FrameWriter(stream).write(errorMessage(classifyError(err)))
        await stream.close({ signal: AbortSignal.timeout(1000) })
      }
    } catch {
      stream.abort(err as Error)
    }
  }
}
