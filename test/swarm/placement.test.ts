// Placement on a real swarm: peers in two regions with clean and dirty electricity. The share goes to the clean
// peers of each region, no region holds more than its cap, and what `share --explain` says is what was done.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { chunksOf, startSwarm, type TestSwarm } from './swarm.ts'

const CARBON = [30, 30, 700, 700, 30, 30, 700, 700]
const regionOf = (i: number): string => i < 4 ? 'north' : 'south'

describe('carbon- and domain-aware placement on an 8-node swarm', () => {
  let swarm: TestSwarm
  before(async () => { swarm = await startSwarm(8, (i) => ({ region: regionOf(i), zone: `zone-${i}`, carbon: CARBON[i] })) })
  after(async () => { await swarm?.stop() })

  it('places RS(2,2) on the low-carbon peer pairs, two per region, and explains exactly that', async () => {
    const data = randomBytes(50_000)
    const result = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k: 2, m: 2, blockSize: 16 * 1024 })
    const ids = swarm.nodes.map(n => n.peerId)
    const holders = result.shards.map(s => ids.indexOf(s.peer)).sort()
    assert.deepEqual(holders, [0, 1, 4, 5], 'the four 30 gCO2/kWh peers hold the shards')
    for (const region of ['north', 'south']) assert.equal(result.shards.filter(s => s.region === region).length, 2)

    // The explanation names, per shard, the peer that actually got it, with its carbon figure.
    assert.deepEqual(result.placement.map(r => [r.index, r.peerId]), result.shards.map(s => [s.index, s.peer]))
    for (const s of result.shards) {
      const line = result.explain.find(l => l.startsWith(`shard ${s.index} `))
      assert.ok(line?.includes(s.peer), `explain line for shard ${s.index} names ${s.peer}`)
      assert.match(line ?? '', /30(\.0+)? gCO2\/kWh/)
    }
    // And the swarm agrees: every shard is where the share said.
    const check = await swarm.nodes[7].check(result.cid)
    assert.deepEqual(check.shards.map(s => [s.index, s.peer]), result.shards.map(s => [s.index, s.peer]))
  })
})
