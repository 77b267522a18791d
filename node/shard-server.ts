// Serves the edgemirror protocols to other peers: accept shards (verified block by block before they are
// committed), serve shards (verified again as they are read, so rot is never passed on), answer has/manifest/info.
import type { Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { HashMismatchError, InvalidParametersError } from '../coder/errors.ts'
import { blockMatches } from '../coder/hash.ts'
import { shardSize, stripeCount } from '../coder/layout.ts'
import { ShardReceiver } from './shard-receiver.ts'
import { readStoredBlocks } from './store/read-block.ts'
import { isCorruptRead, quarantineBadShard } from './store/quarantine.ts'
import { MAX_HEADER_FRAME, MAX_INBOUND_TRANSFERS, PROTOCOL_GET, PROTOCOL_HAS, PROTOCOL_INFO, PROTOCOL_MANIFEST, PROTOCOL_PEERS, PROTOCOL_PUT } from './constants.ts'
import { NotFoundError } from './errors.ts'
import type { ManifestCache } from './manifest-cache.ts'
import type { ShardStore } from './store/shard-store.ts'
import { FrameReader } from './wire/frame-reader.ts'
import { FrameWriter } from './wire/frame-writer.ts'
import { errorMessage, okMessage, parseGetRequest, parseHasRequest, parseManifestRequest, parsePutRequest, parsePutTrailer, type KnownPeer, type PeerInfoMessage } from './wire/messages.ts'
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
  /** Told when a stored shard was found short, unreadable or failing its hash while being served, after it was
   *  quarantined (the repair path listens). */
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
      [PROTOCOL_PUT, async (s) => { await this.handlePut(s) }],
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

  /** put: request → accept → one frame per block → trailer with the manifest → result. */
  private async handlePut (stream: Stream): Promise<void> {
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
      const cid = await receiver.finish(parsePutTrailer(await reader.expect(MAX_MANIFEST_BYTES + 1024, 'manifest trailer')))
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
    const { cid, index } = request
    const manifest = await manifests.get(cid)
    const size = await store.shardSize(cid, index)
    if (manifest === undefined || size === undefined) throw new NotFoundError(`shard ${index} of ${cid}`)
    if (size !== shardSize(manifest)) {
      await this.corrupt(cid, index, `size ${size} differs from the manifest's ${shardSize(manifest)}`)
      throw new NotFoundError(`shard ${index} of ${cid}`)
    }
    const stripes = stripeCount(manifest)
    const to = Math.min(request.to ?? stripes, stripes)
    if (request.from > to) throw new InvalidParametersError(`stripe range ${request.from}..${to} is outside 0..${stripes}`)
    const blocks = readStoredBlocks(store, cid, index, manifest, request.from, to)
    let s = request.from
    /** The next block, verified; a shard that is short, unreadable or fails a hash is quarantined on the spot. */
    const next = async (): Promise<Uint8Array | undefined> => {
      let result: IteratorResult<Uint8Array>
      try {
        result = await blocks.next()
      } catch (err) {
        if (isCorruptRead(err)) await this.corrupt(cid, index, (err as Error).message)
        throw err
      }
      if (result.done === true) return undefined
      if (!blockMatches(result.value, manifest.shardHashes[index], s)) {
        await this.corrupt(cid, index, `block ${s} fails its hash`)
        throw new HashMismatchError(`stored shard ${index} of ${cid} is corrupt`)
      }
      s++
      return result.value
    }
    try {
      // The first block is read before the header, so a bad shard found there reaches the reader as a typed error
      // (ERR_STORE_CORRUPT, ERR_HASH_MISMATCH) instead of a bare reset: a check can tell "cannot prove" from "gone".
      let block = await next()
      await writer.write(okMessage({ from: request.from, to }))
      try {
        for (; block !== undefined; block = await next()) await writer.write(block)
      } catch (err) {
        // Blocks are already flowing, so no error frame can follow: reset the stream and the reader moves on.
        log('get of shard %d of %s ended at block %d: %s', index, cid, s, (err as Error).message)
        stream.abort(err as Error)
        return
      }
    } finally {
      await blocks.return(undefined).catch(() => {})
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
    await quarantineBadShard(this.components.store, cid, index, reason, this.components.onCorruptShard)
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
        await new FrameWriter(stream).write(errorMessage(err))
        await stream.close({ signal: AbortSignal.timeout(1000) })
      }
    } catch {
      stream.abort(err as Error)
    }
  }
}
