// A share re-places a shard whose holder refuses it or does not answer (issue #13 item 8), and a holder that fails
// mid-stream fails the share with ERR_HOLDER_FAILED, naming it, and is left out of the next share.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Stream } from '@libp2p/interface'
import { MAX_HEADER_FRAME, PROTOCOL_PUT } from '../../node/constants.ts'
import { StoreFullError } from '../../node/errors.ts'
import { FrameReader } from '../../node/wire/frame-reader.ts'
import { FrameWriter } from '../../node/wire/frame-writer.ts'
import { errorMessage, okMessage } from '../../node/wire/messages.ts'
import { chunksOf, collect, startSwarm, type TestSwarm } from './swarm.ts'

/** Short stream timeouts, so the hung holder costs the test a second (a third of this), not ten. */
const IDLE_MS = 3000
const K = 3
const M = 2
const BLOCK = 16 * 1024
const HUNG = 5
const REFUSER = 6

describe('re-placing shards on a swarm with hostile holders', () => {
  let swarm: TestSwarm
  const hung: Stream[] = []
  // The hostile nodes run on the cleanest grid, so placement ranks them first and every share tries them.
  before(async () => { swarm = await startSwarm(7, i => ({ streamIdleTimeoutMs: IDLE_MS, carbon: i >= HUNG ? 0 : 500 })) })
  after(async () => {
    for (const s of hung) s.abort(new Error('test over'))
    await swarm?.stop()
  })

  async function replacePut (node: number, handler: (stream: Stream) => Promise<void>): Promise<void> {
    await swarm.nodes[node].host.unhandle(PROTOCOL_PUT)
    await swarm.nodes[node].host.handle(PROTOCOL_PUT, handler)
  }

  async function roundTrip (sharer: number): Promise<{ peers: string[], warnings: string[] }> {
    const data = randomBytes(70_000)
    const shared = await swarm.nodes[sharer].share(chunksOf(data), { size: data.byteLength, k: K, m: M, blockSize: BLOCK })
    assert.equal(shared.shards.length, K + M)
    assert.equal(new Set(shared.shards.map(s => s.peer)).size, K + M, 'still one shard per peer')
    const start = await swarm.nodes[(sharer + 1) % 5].fetch(shared.cid)
    assert.ok((await collect(start.body)).equals(data))
    return { peers: shared.shards.map(s => s.peer), warnings: shared.warnings }
  }

  it('a holder that refuses the put (store full) gets no shard: it is placed on another peer', async () => {
    let refused = 0
    await replacePut(REFUSER, async (stream) => {
      await new FrameReader(stream).expect(MAX_HEADER_FRAME, 'put request')
      refused++
      await new FrameWriter(stream).write(errorMessage(new StoreFullError(1 << 20, 0)))
      await stream.close()
    })
    const { peers, warnings } = await roundTrip(0)
    assert.ok(refused > 0, 'placement tried the refusing holder')
    assert.ok(!peers.includes(swarm.nodes[REFUSER].peerId))
    assert.ok(warnings.some(w => w.includes(swarm.nodes[REFUSER].peerId) && w.includes('ERR_STORE_FULL')), warnings.join('\n'))
  })

  it('a holder that never answers the put is given up after a timeout and its shard placed elsewhere', async () => {
    let asked = 0
    await replacePut(HUNG, async (stream) => {
      await new FrameReader(stream, { idleTimeoutMs: 60_000 }).expect(MAX_HEADER_FRAME, 'put request')
      asked++
      hung.push(stream) // hold it open, answer nothing
    })
    const { peers, warnings } = await roundTrip(1)
    assert.ok(asked > 0, 'placement tried the hung holder')
    assert.ok(!peers.includes(swarm.nodes[HUNG].peerId))
    assert.ok(warnings.some(w => w.includes(swarm.nodes[HUNG].peerId) && w.includes('ERR_TIMEOUT')), warnings.join('\n'))
  })

  it('a holder that fails mid-stream fails the share with ERR_HOLDER_FAILED naming it; the retry leaves it out', async () => {
    await replacePut(HUNG, async (stream) => {
      const reader = new FrameReader(stream)
      await reader.expect(MAX_HEADER_FRAME, 'put request')
      await new FrameWriter(stream).write(okMessage())
      await reader.expect(BLOCK, 'block 0')
      stream.abort(new Error('holder crashed'))
    })
    const data = randomBytes(200_000)
    await assert.rejects(swarm.nodes[2].share(chunksOf(data), { size: data.byteLength, k: K, m: M, blockSize: BLOCK }), (err: any) => {
      assert.equal(err.code, 'ERR_HOLDER_FAILED')
      assert.equal(err.details.peer, swarm.nodes[HUNG].peerId)
      assert.ok(err.message.includes(swarm.nodes[HUNG].peerId))
      return true
    })
    const { peers } = await roundTrip(2)
    assert.ok(!peers.includes(swarm.nodes[HUNG].peerId))
  })
})
