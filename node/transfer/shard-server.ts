// Serves the edgemirror protocols to other peers: accept shards (verified block by block before they are
// committed), serve shards (as stored: the reader verifies every block, and tells us when one fails its hash, which
// we check before quarantining anything: corrupt-block), answer has/manifest/info.
import type { Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { AbortedError, InvalidParametersError } from '../../coder/errors.ts'
import { blockMatches } from '../../coder/hash.ts'
import { shardSize, stripeCount } from '../../coder/layout.ts'
import { checkShardGeometry, ShardReceiver } from './shard-receiver.ts'
import { isCorruptRead, quarantineBadShard } from '../store/quarantine.ts'
import { readStoredBlock, readStoredBlocks } from '../store/read-block.ts'
import {
  CORRUPT_REPORT_BURST, CORRUPT_REPORTS_PER_SECOND, INBOUND_BUDGET_PER_CONNECTION_BYTES, INBOUND_BUDGET_TOTAL_BYTES, MAX_HEADER_FRAME, MAX_INBOUND_REQUEST_STREAMS, MAX_INBOUND_TRANSFERS, MAX_OUTBOUND_STREAMS,
  MAX_SMALL_REQUEST_FRAME, PROTOCOL_CLAIM, PROTOCOL_CORRUPT_BLOCK, PROTOCOL_DELETE, PROTOCOL_GET, PROTOCOL_HAS, PROTOCOL_HAS_V1, PROTOCOL_INFO, PROTOCOL_MANIFEST, PROTOCOL_PEERS, PROTOCOL_PUT,
  PROTOCOL_PUT_V1, PROTOCOL_PUT_V2,
  READ_HIGH_WATER, STREAM_IDLE_TIMEOUT_MS, YAMUX_MAX_STREAM_WINDOW
} from '../constants.ts'
import { classifyError, InvalidSignatureError, NotFoundError, TimeoutError } from '../errors.ts'
import { silentLog, type EventLog } from '../event-log.ts'
import { LimitLog, limitCodeOf } from '../limit-log.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import type { PeerQuota, QuotaReservation } from '../store/peer-quota.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { FrameReader } from '../wire/frame-reader.ts'
import { FrameWriter } from '../wire/frame-writer.ts'
import { InboundBudget, type InboundBudgetLimits, type InboundBudgetUsage, type InboundLease } from '../wire/inbound-budget.ts'
import { PeerRateLimits } from '../wire/peer-rate-limits.ts'
import { verifyOwnerClaim, withClaims, type Tombstone } from '../ownership.ts'
import {
  errorMessage, okMessage, parseClaimRequest, parseCorruptBlockRequest, parseDeleteRequest, parseGetRequest, parseHasRequest, parseManifestRequest, parsePutCommit, parsePutRequest, parsePutTrailer,
  type DeleteAnswer, type KnownPeer, type PeerInfoMessage
} from '../wire/messages.ts'
import type { Startable } from '../startable.ts'

const log = logger('edgemirror:shard-server')

/** What a handler is told of the connection a stream came on (libp2p's Connection has more). */
export interface InboundConnection { id: string, remotePeer: { toString: () => string } }

export interface Registrar {
  handle (protocol: string, handler: (stream: Stream, connection: InboundConnection) => void | Promise<void>, options?: { maxInboundStreams?: number, maxOutboundStreams?: number }): Promise<void>
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
  /** Told when a stored shard was found short or unreadable while being served, or failing its hash when a reader
   *  reported a bad block (corrupt-block), after it was quarantined (the repair path listens). */
  onCorruptShard?: (cid: string, index: number) => void
  /** The operator's log: a peer that meets a limit gets a `limit.hit` line (node/limit-log.ts). */
  log?: EventLog
  /** Bytes of shards each pushing peer may keep here (ERR_QUOTA_EXCEEDED beyond); no limit without one. */
  quota?: PeerQuota
  /** Told when a shard was stored. */
  onShardStored?: (cid: string, index: number) => void
  /** An owner's delete (a signed tombstone, unverified): the delete service checks and applies it, or throws a typed
   *  error for the asker (ERR_INVALID_SIGNATURE, ERR_NOT_OWNER, ERR_NOT_FOUND). Without it the delete protocol is not
   *  served. */
  onDeleteRequest?: (tombstone: Tombstone) => Promise<DeleteAnswer>
  /** More one-request, one-answer protocols served with the same limits (mirror sets' record exchange). */
  requestProtocols?: RequestProtocol[]
  /** Progress window for inbound streams, and how long a peer has to close a stream we answered (default
   *  STREAM_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number
  /** Minimum rate of an inbound frame over each window (default MIN_STREAM_BYTES_PER_SECOND). */
  minBytesPerSecond?: number
  /** Budget of buffered inbound bytes (defaults INBOUND_BUDGET_TOTAL_BYTES, INBOUND_BUDGET_PER_CONNECTION_BYTES). */
  inboundBudget?: Partial<InboundBudgetLimits>
  /** Corrupt-block reports checked per remote peer (defaults CORRUPT_REPORTS_PER_SECOND, CORRUPT_REPORT_BURST). */
  corruptReportLimits?: { perSecond?: number, burst?: number }
}

/** Half the node's stop deadline (SERVICE_STOP_TIMEOUT_MS): long past any handler's normal end after an abort. */
const STOP_REPORT_MS = 5_000

type Handler = (stream: Stream, connection: string, remotePeer: string) => Promise<void>

/** A protocol of one request frame and one answer, served by this server with its limits (inbound budget, idle
 *  timeout, minimum rate, error answers): the service that owns the messages parses and answers them. */
export interface RequestProtocol {
  protocol: string
  /** Largest request frame accepted. */
  maxRequestBytes: number
  /** The fields of the ok answer to `request` (an untrusted frame) from `remotePeer`; a throw answers its error. */
  answer (request: Uint8Array, remotePeer: string): Promise<Record<string, unknown>>
}

export class ShardServer implements Startable {
  private readonly protocols: Array<[string, Handler, number]>
  private readonly budget: InboundBudget
  /** Each corrupt-block report costs a block read and hash: bounded per remote peer. */
  private readonly corruptReports: PeerRateLimits
  private readonly limits: LimitLog
  private readonly idleTimeoutMs: number
  /** Handlers running, by stream: stop() aborts their streams and waits for them. */
  private readonly inflight = new Map<Stream, { protocol: string, served: Promise<void> }>()
  private stopping = false
  /** Blocks and bytes of shards sent to readers (fetch, gateway, repair): status and metrics. */
  private readonly sent = { blocks: 0, bytes: 0 }

  constructor (private readonly components: ShardServerComponents) {
    this.idleTimeoutMs = components.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS
    this.limits = new LimitLog({ log: components.log ?? silentLog })
    this.budget = new InboundBudget({
      totalBytes: components.inboundBudget?.totalBytes ?? INBOUND_BUDGET_TOTAL_BYTES,
      perConnectionBytes: components.inboundBudget?.perConnectionBytes ?? INBOUND_BUDGET_PER_CONNECTION_BYTES
    })
    this.corruptReports = new PeerRateLimits({
      perSecond: components.corruptReportLimits?.perSecond ?? CORRUPT_REPORTS_PER_SECOND,
      burst: components.corruptReportLimits?.burst ?? CORRUPT_REPORT_BURST,
      what: 'corrupt-block reports'
    })
    const onDelete = components.onDeleteRequest
    this.protocols = [
      [PROTOCOL_PUT, async (s, c, p) => { await this.handlePut(s, c, p, 3) }, MAX_INBOUND_TRANSFERS],
      [PROTOCOL_PUT_V2, async (s, c, p) => { await this.handlePut(s, c, p, 2) }, MAX_INBOUND_TRANSFERS],
      [PROTOCOL_PUT_V1, async (s, c, p) => { await this.handlePut(s, c, p, 1) }, MAX_INBOUND_TRANSFERS],
      [PROTOCOL_GET, async (s, c) => { await this.handleGet(s, c) }, MAX_INBOUND_TRANSFERS],
      [PROTOCOL_HAS, async (s, c) => { await this.handleHas(s, c, true) }, MAX_INBOUND_REQUEST_STREAMS],
      [PROTOCOL_HAS_V1, async (s, c) => { await this.handleHas(s, c, false) }, MAX_INBOUND_REQUEST_STREAMS],
      ...(onDelete !== undefined ? [[PROTOCOL_DELETE, async (s: Stream, c: string) => { await this.handleDelete(s, c, onDelete) }, MAX_INBOUND_REQUEST_STREAMS] as [string, Handler, number]] : []),
      [PROTOCOL_CLAIM, async (s, c) => { await this.handleClaim(s, c) }, MAX_INBOUND_REQUEST_STREAMS],
      [PROTOCOL_CORRUPT_BLOCK, async (s, c, p) => { await this.handleCorruptBlock(s, c, p) }, MAX_INBOUND_REQUEST_STREAMS],
      [PROTOCOL_MANIFEST, async (s, c) => { await this.handleManifest(s, c) }, MAX_INBOUND_REQUEST_STREAMS],
      [PROTOCOL_INFO, async (s, c) => { await this.handleInfo(s, c) }, MAX_INBOUND_REQUEST_STREAMS],
      [PROTOCOL_PEERS, async (s, c) => { await this.handlePeers(s, c) }, MAX_INBOUND_REQUEST_STREAMS],
      ...(components.requestProtocols ?? []).map((p): [string, Handler, number] => [p.protocol, async (stream, connection, remotePeer) => {
        const { frame } = await this.readRequest(stream, connection, `${p.protocol} request`, p.maxRequestBytes)
        await this.answer(stream, okMessage(await p.answer(frame, remotePeer)))
      }, MAX_INBOUND_REQUEST_STREAMS])
    ]
  }

  async start (): Promise<void> {
    this.stopping = false
    for (const [protocol, handler, maxInboundStreams] of this.protocols) {
      await this.components.registrar.handle(protocol, async (stream, connection) => { await this.accept(protocol, stream, connection.id, connection.remotePeer.toString(), handler) }, { maxInboundStreams, maxOutboundStreams: MAX_OUTBOUND_STREAMS })
    }
  }

  /** Stop taking streams, abort the ones being served (a put in progress leaves only its temp file, which its
   *  receiver removes) and wait for their handlers: bounded, since every read and write ends when its stream does. */
  async stop (): Promise<void> {
    this.stopping = true
    for (const [protocol] of this.protocols) {
      await this.components.registrar.unhandle(protocol).catch((err: Error) => { log.error('unhandle %s failed: %s', protocol, err.message) })
    }
    for (const stream of this.inflight.keys()) stream.abort(new AbortedError('the node is stopping'))
    const settled = Promise.allSettled([...this.inflight.values()].map(async i => { await i.served }))
    // A handler that does not end with its stream is a bug: say which protocols, before the node's stop gives up.
    const late = setTimeout(() => {
      log.error('stopping: %d handler(s) still running after their streams were aborted: %s', this.inflight.size, [...this.inflight.values()].map(i => i.protocol).join(', '))
    }, STOP_REPORT_MS)
    try {
      await settled
    } finally {
      clearTimeout(late)
      this.limits.stop()
    }
  }

  /** Shard blocks and bytes this server has sent since it started. */
  sentCounters (): { blocks: number, bytes: number } {
    return { ...this.sent }
  }

  /** Bytes of the inbound budget in use (tests and status). */
  inboundUsage (): InboundBudgetUsage {
    return this.budget.usage()
  }

  private async accept (protocol: string, stream: Stream, connection: string, remotePeer: string, handler: Handler): Promise<void> {
    if (this.stopping) {
      stream.abort(new AbortedError('the node is stopping'))
      return
    }
    const served = serve(protocol, stream, async (s) => {
      try {
        await handler(s, connection, remotePeer)
      } catch (err) {
        const code = limitCodeOf(err)
        if (code !== undefined) this.limits.hit(remotePeer, code, { protocol })
        throw err
      }
    }, this.idleTimeoutMs)
      .finally(() => { this.inflight.delete(stream) })
    this.inflight.set(stream, { protocol, served })
    await served
  }

  /**
   * Lease the budget for a request of at most `limit` bytes and read it with the minimum-rate rule. Unless the caller
   * goes on reading (`keepReading`: put), the rest of the inbound side is discarded and the lease given back at once.
   */
  private async readRequest (stream: Stream, connection: string, what: string, limit: number, keepReading = false): Promise<{ reader: FrameReader, frame: Uint8Array, lease: InboundLease }> {
    const lease = this.budget.lease(connection, YAMUX_MAX_STREAM_WINDOW + limit, what)
    // A request-only stream buffers no more than its request; a put keeps reading 1 MiB+ blocks at the usual
    // high-water mark (its lease counts it). At the request's 1 MiB frame limit as its mark, a put stalled for good
    // mid-share (test/e2e/cli.test.ts, 8 MiB --replicas 2).
    const reader = this.reader(stream, keepReading ? READ_HIGH_WATER : Math.min(READ_HIGH_WATER, limit))
    try {
      const frame = await reader.expect(limit, what)
      if (!keepReading) reader.discardRest()
      return { reader, frame, lease }
    } catch (err) {
      lease.release()
      throw err
    } finally {
      if (!keepReading) lease.release()
    }
  }

  /**
   * put 2.0.0: request → accept → one frame per block → manifest → prepared → commit → result. Until the commit
   * arrives the shard and the manifest are staged only (space reserved, nothing visible); a stream that closes,
   * resets or stays silent for the idle timeout before it makes the receiver drop them (the finally below).
   * put 1.0.0 commits on the manifest, for sharers that predate 2.0.0; 3.0.0's trailer adds the file's owner claims.
   */
  private async handlePut (stream: Stream, connection: string, remotePeer: string, version: 1 | 2 | 3): Promise<void> {
    const twoPhase = version >= 2
    const { reader, frame, lease } = await this.readRequest(stream, connection, 'put request', MAX_HEADER_FRAME, true)
    const writer = new FrameWriter(stream, this.idleTimeoutMs)
    let receiver: ShardReceiver | undefined
    let quota: QuotaReservation | undefined
    try {
      const request = parsePutRequest(frame)
      const geometry = { k: request.k, m: request.m, blockSize: request.blockSize, fileSize: request.fileSize }
      // Geometry first, then this stream's buffer, then the pusher's quota, then disk space: nothing is reserved for
      // a put that cannot be taken.
      const limits = checkShardGeometry(geometry, request.index)
      lease.resize(YAMUX_MAX_STREAM_WINDOW + Math.max(limits.largestBlock, READ_HIGH_WATER) + limits.hashBytes)
      quota = await this.components.quota?.reserve(remotePeer, shardSize(geometry))
      receiver = await ShardReceiver.open(this.components.store, this.components.manifests, geometry, request.index)
      await writer.write(okMessage())
      for (let size = receiver.nextBlockSize(); size !== undefined; size = receiver.nextBlockSize()) {
        await receiver.writeBlock(await reader.expect(size, 'block'))
      }
      lease.resize(YAMUX_MAX_STREAM_WINDOW + Math.max(limits.trailerBytes, READ_HIGH_WATER) + limits.hashBytes)
      const trailer = parsePutTrailer(await reader.expect(limits.trailerBytes, 'manifest trailer'))
      const owners = version === 3 ? trailer.owners : []
      if (twoPhase) {
        const prepared = await receiver.prepare(trailer.manifest, owners)
        await writer.write(okMessage({ prepared: true, cid: prepared }))
        parsePutCommit(await reader.expect(MAX_HEADER_FRAME, 'commit'))
      }
      reader.discardRest()
      const cid = twoPhase ? await receiver.commit() : await receiver.finish(trailer.manifest)
      await quota?.commit(cid, request.index)
      this.components.onShardStored?.(cid, request.index)
      await writer.write(okMessage({ cid }))
    } finally {
      await receiver?.abort()
      quota?.release()
      lease.release()
    }
    await endStream(stream, this.idleTimeoutMs)
  }

  /**
   * get: request (cid, index, stripe range) → header → one frame per block. Nothing is read after the request: the
   * inbound side is closed, so a peer writing on costs no memory. Blocks are sent as stored, not hashed again: the
   * reader verifies every block anyway, and reports one that fails (corrupt-block), so hashing here too would hash
   * every served byte twice (issue #18). A shard whose file is short or unreadable is still caught here.
   */
  private async handleGet (stream: Stream, connection: string): Promise<void> {
    const { store, manifests } = this.components
    const { frame } = await this.readRequest(stream, connection, 'get request', MAX_HEADER_FRAME)
    const request = parseGetRequest(frame)
    const writer = new FrameWriter(stream, this.idleTimeoutMs)
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
    /** The next block; a shard that is short or unreadable is quarantined on the spot. */
    const next = async (): Promise<Uint8Array | undefined> => {
      let result: IteratorResult<Uint8Array>
      try {
        result = await blocks.next()
      } catch (err) {
        if (isCorruptRead(err)) await this.corrupt(cid, index, (err as Error).message)
        throw err
      }
      if (result.done === true) return undefined
      s++
      return result.value
    }
    try {
      // The first block is read before the header, so a short shard found there reaches the reader as a typed error
      // (ERR_STORE_CORRUPT) instead of a bare reset: a check can tell "cannot prove" from "gone".
      let block = await next()
      await writer.write(okMessage({ from: request.from, to }))
      try {
        for (; block !== undefined; block = await next()) {
          await writer.write(block)
          this.sent.blocks++
          this.sent.bytes += block.byteLength
        }
      } catch (err) {
        // Blocks are already flowing, so no error frame can follow: reset the stream and the reader moves on.
        log('get of shard %d of %s ended at block %d: %s', index, cid, s, (err as Error).message)
        stream.abort(err as Error)
        return
      }
    } finally {
      await blocks.return(undefined).catch((err: Error) => { log.trace('closing the store read: %s', err.message) }) // the answer is already decided
    }
    await endStream(stream, this.idleTimeoutMs)
  }

  /** has 2.0.0 (`withTombstones`) adds the tombstones this node keeps for each file: a holder that was away when the
   *  file was deleted learns of it from its next shard report (docs/REPAIR.md, "Deleted files"). */
  private async handleHas (stream: Stream, connection: string, withTombstones: boolean): Promise<void> {
    const { store } = this.components
    const cids = parseHasRequest((await this.readRequest(stream, connection, 'has request', MAX_HEADER_FRAME)).frame)
    const files = []
    for (const cid of cids) {
      // A CID the store cannot answer for (malformed, unreadable) is one this node does not hold: a `has` answer is a claim.
      const shards = (await store.listShards(cid).catch((err: Error) => { log('has %s: %s', cid, err.message); return [] })).map(s => s.index)
      const manifest = await store.hasManifest(cid).catch((err: Error) => { log('has %s: %s', cid, err.message); return false })
      const tombstones = withTombstones ? (await store.getOwnership(cid).catch((err: Error) => { log('has %s: %s', cid, err.message); return undefined }))?.tombstones ?? [] : []
      files.push({ cid, manifest, shards, ...(tombstones.length > 0 ? { tombstones } : {}) })
    }
    await this.answer(stream, okMessage({ files }))
  }

  /** delete: a signed tombstone in, what this node did with it out; the checks are the delete service's. */
  private async handleDelete (stream: Stream, connection: string, onDelete: (tombstone: Tombstone) => Promise<DeleteAnswer>): Promise<void> {
    const tombstone = parseDeleteRequest((await this.readRequest(stream, connection, 'delete request', MAX_SMALL_REQUEST_FRAME)).frame)
    const answer = await onDelete(tombstone)
    await this.answer(stream, okMessage({ deleted: answer.deleted, purgeAt: answer.purgeAt, cacheOnly: answer.cacheOnly }))
  }

  /**
   * claim: an owner's signed claim on a file this node holds, sent when the owner's share found the file already stored
   * (dedup) and no put carried it. Kept only beside the bytes it is about, and only when its signature checks: then
   * this owner's rm is needed too before the file goes (and a claim newer than its own tombstone brings it back).
   */
  private async handleClaim (stream: Stream, connection: string): Promise<void> {
    const { store } = this.components
    const claim = parseClaimRequest((await this.readRequest(stream, connection, 'claim request', MAX_SMALL_REQUEST_FRAME)).frame)
    if (!(await verifyOwnerClaim(claim))) throw new InvalidSignatureError(`owner claim of ${claim.owner} for ${claim.cid}`, { cid: claim.cid, owner: claim.owner })
    const holds = (await store.listShards(claim.cid)).length > 0 || await store.hasManifest(claim.cid)
    if (holds) await store.updateOwnership(claim.cid, current => withClaims(current, [claim]))
    await this.answer(stream, okMessage({ recorded: holds }))
  }

  /**
   * corrupt-block: a reader says block `stripe` of shard `index` that we served failed its hash. The reader may be
   * wrong or lying, so it proves nothing: we read that block again and hash it ourselves, and quarantine the shard
   * only if it really fails (or its file is short or unreadable). Each report costs a block read and a hash, so each
   * remote peer gets CORRUPT_REPORTS_PER_SECOND of them (ERR_RATE_LIMITED beyond).
   */
  private async handleCorruptBlock (stream: Stream, connection: string, remotePeer: string): Promise<void> {
    const { store, manifests } = this.components
    const { frame } = await this.readRequest(stream, connection, 'corrupt-block request', MAX_SMALL_REQUEST_FRAME)
    // Counted before the request is even parsed: a malformed report costs a parse, and must not be free to repeat.
    this.corruptReports.take(remotePeer)
    const { cid, index, stripe } = parseCorruptBlockRequest(frame)
    const manifest = await manifests.get(cid)
    const size = await store.shardSize(cid, index)
    if (manifest === undefined || size === undefined) throw new NotFoundError(`shard ${index} of ${cid}`)
    const stripes = stripeCount(manifest)
    if (stripe >= stripes) throw new InvalidParametersError(`stripe ${stripe} is outside 0..${stripes - 1}`, { stripe, stripes })
    let reason: string | undefined
    if (size !== shardSize(manifest)) {
      reason = `size ${size} differs from the manifest's ${shardSize(manifest)}`
    } else {
      try {
        const block = await readStoredBlock(store, cid, index, manifest, stripe)
        if (!blockMatches(block, manifest.shardHashes[index], stripe)) reason = `block ${stripe} fails its hash`
      } catch (err) {
        if (!isCorruptRead(err)) throw err
        reason = (err as Error).message
      }
    }
    if (reason !== undefined) await this.corrupt(cid, index, `${reason} (reported by ${remotePeer}, checked here)`)
    else log('corrupt-block report from %s on block %d of shard %d of %s: the block matches its hash', remotePeer, stripe, index, cid)
    await this.answer(stream, okMessage({ quarantined: reason !== undefined }))
  }

  private async handleManifest (stream: Stream, connection: string): Promise<void> {
    const cid = parseManifestRequest((await this.readRequest(stream, connection, 'manifest request', MAX_HEADER_FRAME)).frame)
    const bytes = await this.components.store.getManifest(cid)
    if (bytes === undefined) throw new NotFoundError(`manifest ${cid}`)
    await this.answer(stream, okMessage({ manifest: bytes }))
  }

  /** info and peers: the request is an empty map (fields are ignored); it is read with a deadline and a small limit,
   *  and nothing after it. They used not to read at all, and each stream held up to 4 MiB a peer wrote into it. */
  private async handleInfo (stream: Stream, connection: string): Promise<void> {
    await this.readRequest(stream, connection, 'info request', MAX_SMALL_REQUEST_FRAME)
    await this.answer(stream, okMessage({ ...(await this.components.info()) }))
  }

  private async handlePeers (stream: Stream, connection: string): Promise<void> {
    await this.readRequest(stream, connection, 'peers request', MAX_SMALL_REQUEST_FRAME)
    await this.answer(stream, okMessage({ peers: await this.components.knownPeers() }))
  }

  private async answer (stream: Stream, message: Uint8Array): Promise<void> {
    await new FrameWriter(stream, this.idleTimeoutMs).write(message)
    await endStream(stream, this.idleTimeoutMs)
  }

  private reader (stream: Stream, highWater: number): FrameReader {
    return new FrameReader(stream, { idleTimeoutMs: this.idleTimeoutMs, minBytesPerSecond: this.components.minBytesPerSecond, highWater })
  }

  private async corrupt (cid: string, index: number, reason: string): Promise<void> {
    await quarantineBadShard(this.components.store, cid, index, reason, this.components.onCorruptShard)
  }
}

/**
 * Close our side once the answer is out, and give the peer `lingerMs` to close its side: a stream the peer never
 * closes would otherwise stay open (and count against the stream limits) for as long as the connection lives.
 */
async function endStream (stream: Stream, lingerMs: number): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(lingerMs) })
  } catch (err) {
    stream.abort(err instanceof Error && err.name === 'TimeoutError' ? new TimeoutError('flushing the answer', lingerMs) : err as Error)
    return
  }
  if (stream.status !== 'open' && stream.status !== 'closing') return
  const closed = await new Promise<boolean>((resolve) => {
    const done = (value: boolean): void => { clearTimeout(timer); stream.removeEventListener('close', onClose); resolve(value) }
    const onClose = (): void => { done(true) }
    const timer = setTimeout(() => { done(false) }, lingerMs)
    stream.addEventListener('close', onClose)
  })
  if (!closed) stream.abort(new TimeoutError('waiting for the peer to close the stream', lingerMs))
}

/** Run a handler; any failure is reported to the peer as a typed error frame when possible, then the stream ends. */
async function serve (protocol: string, stream: Stream, handler: (stream: Stream) => Promise<void>, lingerMs: number): Promise<void> {
  try {
    await handler(stream)
  } catch (err) {
    log('%s failed: %s', protocol, (err as Error).message)
    try {
      // Nothing more will be read: a peer that keeps writing must not fill a buffer nobody drains.
      if (stream.readStatus === 'readable' || stream.readStatus === 'paused') await stream.closeRead()
      if (stream.writeStatus === 'writable') {
        await new FrameWriter(stream, lingerMs).write(errorMessage(classifyError(err)))
        await endStream(stream, lingerMs)
      } else {
        stream.abort(err as Error)
      }
    } catch (reportErr) {
      log('%s: could not report the failure: %s', protocol, (reportErr as Error).message)
      stream.abort(err as Error)
    }
  }
}
