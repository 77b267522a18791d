// A holder's quota per pushing peer (daemon --quota-per-peer, issue #19 item 2): a put past it is refused with
// ERR_QUOTA_EXCEEDED and a `limit.hit` log line, the sharer places that shard elsewhere, other peers' puts and reads
// through the same holder go on as before, and the accounting survives the holder's restart.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { shardSize } from '../../coder/layout.ts'
import { createEventLog } from '../../node/event-log.ts'
import { chunksOf, collect, startSwarm, type TestSwarm } from './swarm.ts'

const SIZE = 200_000
const GEOMETRY = { k: 2, m: 2, blockSize: 64 * 1024 }
/** Room for exactly one shard of a file of SIZE in GEOMETRY per pushing peer. */
const QUOTA = shardSize({ ...GEOMETRY, fileSize: SIZE })
const HOLDER = 3
/** A fifth node placement likes least (dirty power), so RS(2,2) lands on nodes 0-3 and this one takes only what the
 *  holder refuses. */
const SPARE = 4

describe('a holder\'s quota per pushing peer', () => {
  let swarm: TestSwarm
  const lines: string[] = []
  before(async () => {
    swarm = await startSwarm(5, i => i === HOLDER ? { quotaPerPeer: QUOTA } : i === SPARE ? { carbon: 5000 } : {},
      i => i === HOLDER ? { log: createEventLog({ format: 'json', write: (line) => { lines.push(line) } }) } : {})
  })
  after(async () => { await swarm?.stop() })

  const holderId = (): string => swarm.nodes[HOLDER].peerId
  const limitHits = (): Array<Record<string, unknown>> => lines.map(l => JSON.parse(l)).filter(r => r.event === 'limit.hit')
  async function share (from: number): Promise<{ cid: string, data: Buffer, holders: string[] }> {
    const data = randomBytes(SIZE)
    const shared = await swarm.nodes[from].share(chunksOf(data), { size: SIZE, ...GEOMETRY })
    return { cid: shared.cid, data, holders: shared.shards.map(s => s.peer) }
  }

  it('takes one shard from a publisher, refuses its next one, which lands elsewhere; other publishers and reads are unaffected', async () => {
    // RS(2,2) on nodes 0-3: one shard each, so the holder takes one of the publisher's (within its quota).
    const first = await share(0)
    assert.ok(first.holders.includes(holderId()), 'the first shard fits the quota')
    assert.ok(!first.holders.includes(swarm.nodes[SPARE].peerId), 'placement keeps to the clean nodes')
    assert.deepEqual(limitHits(), [])

    // The next one would pass the quota: refused, and placed on the spare.
    const second = await share(0)
    assert.ok(!second.holders.includes(holderId()), 'the holder refused its shard')
    assert.ok(second.holders.includes(swarm.nodes[SPARE].peerId), 'placed again on the spare')
    const hits = limitHits()
    assert.equal(hits.length, 1)
    assert.equal(hits[0].code, 'ERR_QUOTA_EXCEEDED')
    assert.equal(hits[0].peer, swarm.nodes[0].peerId)
    assert.equal(hits[0].level, 'warn')

    // Another publisher has its own quota here: its shard is taken.
    const other = await share(1)
    assert.ok(other.holders.includes(holderId()))

    // Reads through the holder work, including the file it refused part of.
    for (const file of [first, second, other]) {
      const start = await swarm.nodes[HOLDER].fetch(file.cid)
      assert.ok((await collect(start.body)).equals(file.data))
      await start.done
    }
  })

  it('keeps counting after the holder restarts (the pusher of each shard is on disk)', async () => {
    await swarm.kill(HOLDER)
    await swarm.restart(HOLDER)
    const again = await share(0)
    assert.ok(!again.holders.includes(holderId()), 'still over the quota after a restart')
    assert.equal(limitHits().at(-1)?.code, 'ERR_QUOTA_EXCEEDED')
  })
})

describe('a repair refused by a holder\'s quota', () => {
  it('is placed again on another peer, as a share would be', async () => {
    // Nodes 0-3 run on clean power, 4 and 5 on dirty: placement prefers 0-3. Node 3 takes nothing from anyone (a
    // 1-byte quota), so the share lands on 0, 1, 2 and one dirty node, and the repair of a lost shard picks 3 first.
    const REFUSER = 3
    const swarm = await startSwarm(6, i => ({
      heartbeatMs: 250, deadAfterMs: 60_000, repairGraceMs: 60_000, scrubIntervalMs: 60 * 60_000,
      ...(i === REFUSER ? { quotaPerPeer: 1 } : i >= 4 ? { carbon: 5000 } : {})
    }))
    try {
      const ids = swarm.nodes.map(n => n.peerId)
      const data = randomBytes(SIZE)
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: SIZE, ...GEOMETRY })
      const holders = shared.shards.map(s => ids.indexOf(s.peer))
      assert.ok(!holders.includes(REFUSER))
      const victim = holders.find(h => h !== 0 && h < 4) as number
      await swarm.kill(victim)
      const repaired = await swarm.nodes[0].repair(shared.cid)
      assert.equal(repaired.rebuilt.length, 1, JSON.stringify(repaired))
      const rebuiltOn = ids.indexOf(repaired.rebuilt[0].peer)
      assert.ok(rebuiltOn >= 4 && !holders.includes(rebuiltOn), `rebuilt on the free dirty node, not ${rebuiltOn}`)
      assert.equal((await swarm.nodes[0].check(shared.cid)).healthy, true)
      const start = await swarm.nodes[REFUSER].fetch(shared.cid)
      assert.ok((await collect(start.body)).equals(data))
      await start.done
    } finally {
      await swarm.stop()
    }
  })
})
