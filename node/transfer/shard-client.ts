// The client side of the edgemirror protocols: push a shard, stream a shard's blocks, ask who has what.
import { logger } from '@libp2p/logger'
import type { Stream } from '@libp2p/interface'
import type { Geometry } from '../../coder/layout.ts'
import { stripeBlockSize } from '../../coder/layout.ts'
import { MAX_HEADER_FRAME, PROTOCOL_CLAIM, PROTOCOL_CORRUPT_BLOCK, PROTOCOL_DELETE, PROTOCOL_GET, PROTOCOL_HAS, PROTOCOL_INFO, PROTOCOL_MANIFEST, PROTOCOL_PEERS, PROTOCOL_PUT, PUT_ACCEPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../constants.ts'
import { classifyError, ProtocolError, TimeoutError } from '../errors.ts'
import { FrameReader } from '../wire/frame-reader.ts'
import { FrameWriter } from '../wire/frame-writer.ts'
import type { OwnerClaim, Tombstone } from '../ownership.ts'
import { parseClaimResponse, parseCorruptBlockResponse, parseDeleteResponse, parseGetResponse, parseHasResponse, parseInfoResponse, parseManifestResponse, parsePeersResponse, parseResponse, type ClaimAnswer, type CorruptBlockAnswer, type CorruptBlockReport, type DeleteAnswer, type Holding, type KnownPeer, type PeerInfoMessage } from '../wire/messages.ts'
import { encodeMessage, str } from '../wire/schema.ts'
import { MAX_MANIFEST_BYTES } from '../../coder/constants.ts'

const log = logger('edgemirror:shard-client')

/** Opens a stream for `protocol` to `peer` (libp2p.dialProtocol in the daemon). */
export type Dialer = (peer: string, protocol: string, options?: { signal?: AbortSignal }) => Promise<Stream>

/** An open shard upload (put 3.0.0): write the blocks in order, prepare with the manifest, then commit. Closing or
 *  aborting the stream before commit makes the holder discard everything it received. */
export class ShardUpload {
  private readonly writer: FrameWriter

  private constructor (private readonly stream: Stream, private readonly reader: FrameReader) {
    this.writer = new FrameWriter(stream)
  }

  /** Dial, send the request and wait for the accept, all within `acceptTimeoutMs` (a hung holder must not stall the
   *  share: its shard is placed elsewhere). */
  static async open (dial: Dialer, peer: string, request: { upload: string, index: number } & Geometry, signal?: AbortSignal, acceptTimeoutMs = PUT_ACCEPT_TIMEOUT_MS): Promise<ShardUpload> {
    const deadline = AbortSignal.timeout(acceptTimeoutMs)
    const bounded = signal !== undefined ? AbortSignal.any([signal, deadline]) : deadline
    let stream: Stream | undefined
    try {
      stream = await dial(peer, PROTOCOL_PUT, { signal: bounded })
      const reader = new FrameReader(stream)
      await new FrameWriter(stream).write(encodeMessage({ ...request }), bounded)
      parseResponse(await reader.expect(MAX_HEADER_FRAME, 'put accept', bounded))
      return new ShardUpload(stream, reader)
    } catch (err) {
      stream?.abort(err as Error)
      if (deadline.aborted && signal?.aborted !== true) throw new TimeoutError(`put accept from ${peer}`, acceptTimeoutMs)
      throw classifyError(err, peer)
    }
  }

  async writeBlock (block: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.writer.write(block, signal)
  }

  /** Send the manifest and the file's owner claims; resolves with the CID once the holder has verified and staged its
   *  shard (not yet visible). */
  async prepare (manifestBytes: Uint8Array, signal?: AbortSignal, owners: OwnerClaim[] = []): Promise<string> {
    await this.writer.write(encodeMessage({ manifest: manifestBytes, owners }), signal)
    const result = parseResponse(await this.reader.expect(MAX_HEADER_FRAME, 'put prepared', signal))
    if (result.prepared !== true) throw new ProtocolError('holder answered the manifest without "prepared"')
    return str(result, 'cid', 128)
  }

  /** Tell the holder to publish the shard; resolves with the CID it committed under. */
  async commit (signal?: AbortSignal): Promise<string> {
    await this.writer.write(encodeMessage({ commit: true }), signal)
    const result = parseResponse(await this.reader.expect(MAX_HEADER_FRAME, 'put result', signal))
    await this.stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((err: Error) => { log.trace('closing a put stream after its result: %s', err.message) })
    return str(result, 'cid', 128)
  }

  abort (err: Error): void {
    this.stream.abort(err)
  }
}

/**
 * Stream blocks [from, to) of shard `index` from `peer`. Each yielded block has the size the geometry says; the
 * caller verifies hashes. Ends early (throws) if the peer resets, stalls or sends a frame of the wrong size.
 */
export async function * getShardBlocks (dial: Dialer, peer: string, cid: string, index: number, geometry: Geometry, from: number, to: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const stream = await dial(peer, PROTOCOL_GET, { signal })
  const reader = new FrameReader(stream)
  let finished = false
  try {
    await new FrameWriter(stream).write(encodeMessage({ cid, index, from, to }), signal)
    const range = parseGetResponse(await reader.expect(MAX_HEADER_FRAME, 'get response', signal))
    if (range.from !== from || range.to !== to) throw new ProtocolError(`peer offered stripes ${range.from}..${range.to}, asked ${from}..${to}`)
    for (let s = from; s < to; s++) {
      const size = stripeBlockSize(geometry, s)
      const block = await reader.expect(size, `block ${s}`, signal)
      if (block.byteLength !== size) throw new ProtocolError(`block ${s} has ${block.byteLength} bytes, expected ${size}`)
      yield block
    }
    finished = true
  } finally {
    if (finished) await stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((err: Error) => { log.trace('closing a get stream after its last block: %s', err.message) })
    else stream.abort(new Error('shard read ended early'))
  }
}

/** One request frame, one response frame (also for protocols whose messages live with their service: mirror/). */
export async function request (dial: Dialer, peer: string, protocol: string, message: Record<string, unknown>, maxResponse: number, signal?: AbortSignal): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  const combined = signal != null ? AbortSignal.any([signal, timeout]) : timeout
  const stream = await dial(peer, protocol, { signal: combined })
  try {
    await new FrameWriter(stream).write(encodeMessage(message), combined)
    const frame = await new FrameReader(stream).expect(maxResponse, `${protocol} response`, combined)
    await stream.close({ signal: combined }).catch((err: Error) => { log.trace('closing a %s stream after its response: %s', protocol, err.message) })
    return frame
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

export async function askHas (dial: Dialer, peer: string, cids: string[], signal?: AbortSignal): Promise<Holding[]> {
  return parseHasResponse(await request(dial, peer, PROTOCOL_HAS, { cids }, MAX_HEADER_FRAME, signal))
}

/** Ask `peer` to drop a file: `tombstone` is the owner's signed delete. */
export async function askDelete (dial: Dialer, peer: string, tombstone: Tombstone, signal?: AbortSignal): Promise<DeleteAnswer> {
  return parseDeleteResponse(await request(dial, peer, PROTOCOL_DELETE, { tombstone }, MAX_HEADER_FRAME, signal))
}

/** Tell `peer` that the signer of `claim` owns the file too (a share that found every shard already held). */
export async function askClaim (dial: Dialer, peer: string, claim: OwnerClaim, signal?: AbortSignal): Promise<ClaimAnswer> {
  return parseClaimResponse(await request(dial, peer, PROTOCOL_CLAIM, { claim }, MAX_HEADER_FRAME, signal))
}

/** Tell `peer` that a block it served failed its hash: it re-hashes its copy and quarantines the shard if the block
 *  really is bad. ERR_RATE_LIMITED beyond its per-peer limit, ERR_NOT_FOUND when it holds no such shard. */
export async function reportCorruptBlock (dial: Dialer, peer: string, report: CorruptBlockReport, signal?: AbortSignal): Promise<CorruptBlockAnswer> {
  return parseCorruptBlockResponse(await request(dial, peer, PROTOCOL_CORRUPT_BLOCK, { cid: report.cid, index: report.index, stripe: report.stripe }, MAX_HEADER_FRAME, signal))
}

export async function fetchManifestBytes (dial: Dialer, peer: string, cid: string, signal?: AbortSignal): Promise<Uint8Array> {
  return parseManifestResponse(await request(dial, peer, PROTOCOL_MANIFEST, { cid }, MAX_MANIFEST_BYTES + 1024, signal))
}

export async function askInfo (dial: Dialer, peer: string, signal?: AbortSignal): Promise<PeerInfoMessage> {
  return parseInfoResponse(await request(dial, peer, PROTOCOL_INFO, {}, MAX_HEADER_FRAME, signal))
}

export async function askPeers (dial: Dialer, peer: string, signal?: AbortSignal): Promise<KnownPeer[]> {
  return parsePeersResponse(await request(dial, peer, PROTOCOL_PEERS, {}, MAX_HEADER_FRAME, signal))
}

