// What one peer can make another hold (issue #13, items 3 and 4), spoken by hand over real libp2p streams between two
// in-process nodes: a put header whose geometry cannot be allocated, info and peers streams that write junk and never
// read, a put that drips its last bytes, puts past the inbound budget, and a stop while a put is in flight. After each,
// the serving node must hold nothing for the peer: no reserved bytes, no temp file, no open stream, no budget in use.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { randomBytes } from 'node:crypto'
import type { PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_HEADER_FRAME, MAX_INBOUND_REQUEST_STREAMS, PROTOCOL_INFO, PROTOCOL_PEERS, PROTOCOL_PUT } from '../../node/constants.ts'
import type { EdgemirrorNode } from '../../node/edgemirror-node.ts'
import { createEventLog } from '../../node/event-log.ts'
import type { ShardServer } from '../../node/transfer/shard-server.ts'
import { FrameReader } from '../../node/wire/frame-reader.ts'
import { FrameWriter } from '../../node/wire/frame-writer.ts'
import { parseResponse } from '../../node/wire/messages.ts'
import { encodeMessage } from '../../node/wire/schema.ts'
import { chunksOf, collect, STOP_DEADLINE_MS, startSwarm, waitFor, withDeadline, type TestSwarm } from './swarm.ts'

/** The progress window and the linger after an answer; short so cut-offs come fast. */
const IDLE_MS = 1000
const MiB = 1024 * 1024
/** Room for two 8 MiB-block puts per connection (each leases its 2 MiB yamux window + the block), not three. */
const PER_CONNECTION = 24 * MiB
/** Generous: every wait below is for something the server must do within a few windows. */
const DEADLINE_MS = 20 * IDLE_MS

describe('what one peer can make a node hold', () => {
  let swarm: TestSwarm
  const CLIENT = 0
  const SERVER = 1
  /** The server's `limit.hit` lines (docs/LOGS.md), as JSON records. */
  const limitHits: Array<Record<string, unknown>> = []
  before(async () => {
    swarm = await startSwarm(2, () => ({ streamIdleTimeoutMs: IDLE_MS, inboundBudgetPerConnectionBytes: PER_CONNECTION, inboundBudgetBytes: 2 * PER_CONNECTION }),
      i => i === SERVER ? { log: createEventLog({ format: 'json', write: (line) => { const r = JSON.parse(line); if (r.event === 'limit.hit') limitHits.push(r) } }) } : {})
  })
  after(async () => { await swarm?.stop() })

  const server = (): ShardServer => (swarm.nodes[SERVER] as unknown as { server: ShardServer }).server

  async function dial (protocol: string): Promise<Stream> {
    return await swarm.nodes[CLIENT].host.dialProtocol(peerIdFromString(swarm.nodes[SERVER].peerId), protocol)
  }

  /** The server's bytes in use (committed + reserved) and its temp files. */
  async function holdings (): Promise<{ usedBytes: number, tmp: string[] }> {
    return { usedBytes: (await swarm.nodes[SERVER].selfInfo()).usedBytes, tmp: await readdir(join(swarm.repos[SERVER], 'store', 'tmp')) }
  }

  /** Streams the server has open for `protocols` on its connection from the client. */
  function serverStreams (...protocols: string[]): number {
    return swarm.nodes[SERVER].host.getConnections(peerIdFromString(swarm.nodes[CLIENT].peerId))
      .reduce((n, c) => n + c.streams.filter(s => protocols.includes(s.protocol ?? '')).length, 0)
  }

  async function putHeader (geometry: { k: number, m: number, blockSize: number, fileSize: number }, index = 0): Promise<{ stream: Stream, reader: FrameReader, answer: Promise<Record<string, unknown>> }> {
    const stream = await dial(PROTOCOL_PUT)
    const reader = new FrameReader(stream, { idleTimeoutMs: DEADLINE_MS })
    await new FrameWriter(stream).write(encodeMessage({ upload: 'probe', index, ...geometry }))
    const answer = reader.expect(MAX_HEADER_FRAME, 'put accept').then(parseResponse)
    answer.catch(() => {}) // awaited by the callers that care
    return { stream, reader, answer }
  }

  const idle = async (): Promise<void> => {
    await waitFor(() => server().inboundUsage().totalBytes === 0, DEADLINE_MS, 'the inbound budget to be given back')
  }

  it('refuses a put geometry it cannot allocate with ERR_INVALID_GEOMETRY, before reserving anything', async () => {
    const before = await holdings()
    const geometries = [
      { k: 1, m: 1, blockSize: 8, fileSize: 2 ** 31 }, // the probe's header: 2^28 stripes, an 8 GiB hash table
      { k: 1, m: 1, blockSize: 8, fileSize: 2 ** 40 },
      { k: 200, m: 56, blockSize: 8, fileSize: 2 ** 24 },
      { k: 1, m: 1, blockSize: 12, fileSize: 100 } // not a multiple of 8
    ]
    for (let round = 0; round < 5; round++) {
      for (const geometry of geometries) {
        const { stream, answer } = await putHeader(geometry)
        await assert.rejects(answer, { code: 'ERR_INVALID_GEOMETRY' }, JSON.stringify(geometry))
        stream.abort(new Error('done'))
      }
    }
    const { stream, answer } = await putHeader({ k: 2, m: 1, blockSize: 1024, fileSize: 4096 }, 3)
    await assert.rejects(answer, { code: 'ERR_INVALID_GEOMETRY' }, 'index 3 of 3 shards')
    stream.abort(new Error('done'))
    assert.deepEqual(await holdings(), before, 'no bytes reserved, no temp file left')
    await idle()
  })

  it('closes info and peers streams that write junk and never read (and buffers none of it)', async () => {
    const streams: Stream[] = []
    const junk = new Uint8Array(512 * 1024).fill(0xa5)
    for (const protocol of [PROTOCOL_INFO, PROTOCOL_PEERS]) {
      for (let i = 0; i < 6; i++) {
        const stream = await dial(protocol)
        // Half send a well-formed request and then junk, half only junk (a 4-byte length far over the request limit).
        if (i % 2 === 0) stream.send(new Uint8Array([0, 0, 0, 1, 0x80]))
        stream.send(junk)
        streams.push(stream)
      }
    }
    try {
      await waitFor(() => serverStreams(PROTOCOL_INFO, PROTOCOL_PEERS) === 0, DEADLINE_MS, 'the server to close every info and peers stream')
      await waitFor(() => streams.every(s => s.status !== 'open'), DEADLINE_MS, 'the client to see every stream closed')
      await idle()
    } finally {
      for (const s of streams) s.abort(new Error('test over'))
    }
  })

  it('cuts off a put that sends all but the end of a block and then drips a byte at a time (minimum rate, not any byte)', async () => {
    const before = await holdings()
    const blockSize = 64 * 1024
    const { stream, answer } = await putHeader({ k: 1, m: 1, blockSize, fileSize: blockSize })
    assert.equal((await answer).ok, true)
    const header = new Uint8Array(4)
    new DataView(header.buffer).setUint32(0, blockSize)
    stream.send(header)
    stream.send(new Uint8Array(blockSize - 1024))
    // One byte every fifth of a window: "any byte is progress" kept this alive for ever.
    const drip = setInterval(() => { if (stream.writeStatus === 'writable') stream.send(new Uint8Array(1)) }, IDLE_MS / 5)
    try {
      await waitFor(() => stream.status !== 'open', DEADLINE_MS, 'the server to cut the slow put off')
      await waitFor(() => serverStreams(PROTOCOL_PUT) === 0, DEADLINE_MS, 'the server to drop the put stream')
      await waitFor(async () => (await holdings()).tmp.length === 0, DEADLINE_MS, 'the temp file to go')
      assert.deepEqual(await holdings(), before, 'the reservation is given back')
      await idle()
    } finally {
      clearInterval(drip)
      stream.abort(new Error('test over'))
    }
  })

  it('refuses a put past the connection\'s inbound budget with ERR_BUSY, and takes one again once a put ends', async () => {
    const geometry = { k: 1, m: 1, blockSize: 8 * MiB, fileSize: 16 * MiB }
    const first = await putHeader(geometry)
    const second = await putHeader(geometry)
    const puts = [first, second]
    try {
      assert.equal((await first.answer).ok, true)
      assert.equal((await second.answer).ok, true)
      const third = await putHeader(geometry)
      puts.push(third)
      await assert.rejects(third.answer, { code: 'ERR_BUSY' })
      assert.deepEqual(limitHits.filter(r => r.code === 'ERR_BUSY').map(r => [r.peer, r.protocol, r.count]), [[swarm.nodes[CLIENT].peerId, PROTOCOL_PUT, 1]])
      first.stream.abort(new Error('the sender gave up'))
      await waitFor(() => serverStreams(PROTOCOL_PUT) <= 2, DEADLINE_MS, 'the server to drop the aborted put')
      const fourth = await putHeader(geometry)
      puts.push(fourth)
      assert.equal((await fourth.answer).ok, true)
    } finally {
      for (const p of puts) p.stream.abort(new Error('test over'))
    }
    await waitFor(async () => (await holdings()).tmp.length === 0, DEADLINE_MS, 'every temp file to go')
    await idle()
  })

  it('stops within the deadline with a put in flight, and leaves no temp file or reservation behind', async () => {
    const { stream, answer } = await putHeader({ k: 1, m: 1, blockSize: MiB, fileSize: 4 * MiB })
    assert.equal((await answer).ok, true)
    const header = new Uint8Array(4)
    new DataView(header.buffer).setUint32(0, MiB)
    stream.send(header)
    stream.send(new Uint8Array(MiB / 2))
    await waitFor(async () => (await holdings()).tmp.length === 1, DEADLINE_MS, 'the put to be receiving')
    await withDeadline(swarm.kill(SERVER), STOP_DEADLINE_MS, 'the serving node to stop')
    assert.deepEqual(await readdir(join(swarm.repos[SERVER], 'store', 'tmp')), [], 'no temp file left')
    await waitFor(() => stream.status !== 'open', DEADLINE_MS, 'the sender to see the put end')
  })
})

describe('libp2p\'s stream limit per protocol (maxInboundStreams)', () => {
  let swarm: TestSwarm
  before(async () => { swarm = await startSwarm(3) })
  after(async () => { await swarm?.stop() })

  it(`resets inbound streams past ${MAX_INBOUND_REQUEST_STREAMS} on one protocol; other protocols and other peers, and a share and a fetch through the node, go on`, async () => {
    const [client, server, other] = swarm.nodes
    const serverId = peerIdFromString(server.peerId)
    /** The server's inbound peers streams from the client (each waits for a request the client never sends, within the
     *  default 30 s idle timeout: longer than this test). */
    const held = (): number => server.host.getConnections(peerIdFromString(client.peerId))
      .reduce((n, c) => n + c.streams.filter(s => s.protocol === PROTOCOL_PEERS && s.direction === 'inbound').length, 0)
    const streams: Stream[] = []
    try {
      for (let i = 0; i < MAX_INBOUND_REQUEST_STREAMS; i++) streams.push(await client.host.dialProtocol(serverId, PROTOCOL_PEERS))
      await waitFor(() => held() === MAX_INBOUND_REQUEST_STREAMS, DEADLINE_MS, 'the server to hold every allowed stream')
      // One more: negotiated, then reset by libp2p on the server (it never reaches the handler).
      const extra = await client.host.dialProtocol(serverId, PROTOCOL_PEERS).catch((err: Error) => err)
      if (!(extra instanceof Error)) {
        streams.push(extra)
        await waitFor(() => extra.status !== 'open', DEADLINE_MS, 'the extra stream to be reset')
      }
      assert.equal(held(), MAX_INBOUND_REQUEST_STREAMS)
      assert.ok(streams.slice(0, MAX_INBOUND_REQUEST_STREAMS).every(s => s.status === 'open'), 'the allowed streams are untouched')

      // Another protocol from the same peer (info), and the same protocol from another peer, are answered.
      assert.equal(typeof (await askSmall(client, serverId, PROTOCOL_INFO)).ok, 'boolean')
      assert.equal((await askSmall(other, serverId, PROTOCOL_PEERS)).ok, true)
      // A share placing a shard on the server and a fetch through it work.
      const data = randomBytes(100_000)
      const shared = await client.share(chunksOf(data), { size: data.byteLength, k: 1, m: 2 })
      assert.ok(shared.shards.some(s => s.peer === server.peerId))
      const start = await server.fetch(shared.cid)
      assert.ok((await collect(start.body)).equals(data))
      await start.done
    } finally {
      for (const s of streams) s.abort(new Error('test over'))
    }
  })
})

/** One small request (an empty map) on `protocol` and its parsed answer. */
async function askSmall (from: EdgemirrorNode, to: PeerId, protocol: string): Promise<Record<string, unknown>> {
  const stream = await from.host.dialProtocol(to, protocol)
  try {
    await new FrameWriter(stream).write(encodeMessage({}))
    return parseResponse(await new FrameReader(stream, { idleTimeoutMs: DEADLINE_MS }).expect(MAX_HEADER_FRAME, 'answer'))
  } finally {
    stream.abort(new Error('answered'))
  }
}
