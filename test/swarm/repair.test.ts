// Self-repair on real loopback swarms: a dead holder's shards are rebuilt elsewhere, a repairer killed mid-repair is
// replaced, a returning holder's extra copy is collected, and rot found by the scrubber is repaired.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { assertFetches, DEADLINE_MS, fullyRedundant, K, M, share, total } from './repair-helpers.ts'
import { chunksOf, collect, FAST_DETECTION, type TestSwarm, waitFor, withSwarm } from './swarm.ts'


describe('self-repair on a loopback swarm', () => {
  it('rebuilds a dead holder\'s shard on another peer', async () => {
    await withSwarm(7, FAST_DETECTION, async (swarm) => {
      const data = randomBytes(200_000)
      const { cid, holders } = await share(swarm, data)
      const victim = holders.find(h => h !== 0) as number
      await swarm.kill(victim)
      // The new holder commits (and check sees it) before the repairer has closed its streams and counted the repair,
      // so wait for the count too.
      await waitFor(async () => await fullyRedundant(swarm, 0, cid) && await total(swarm, 'repairsDone') > 0, DEADLINE_MS, 'the file back at k+m live shards, the repair counted')
      assert.equal(await total(swarm, 'repairsDone'), 1, 'exactly one node repaired the file')
      assert.ok(await total(swarm, 'bytesRepaired') >= 50_000, 'the rebuilt shard was pushed')
      await assertFetches(swarm, swarm.alive().at(-1) as number, cid, data)
    })
  })

  it('`repair` right after a holder died agrees with `check`: it rebuilds, not "healthy, nothing to rebuild"', async () => {
    // Reports every 250 ms but a holder is dead only after a minute: the detector still calls the victim alive when
    // repair runs, as it does for a user who types `repair` just after `check` said degraded (issue #15).
    await withSwarm(4, { heartbeatMs: 250, deadAfterMs: 60_000, repairGraceMs: 60_000, scrubIntervalMs: 60 * 60_000 }, async (swarm) => {
      const data = randomBytes(100_000)
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k: 2, m: 1, blockSize: 16 * 1024 })
      const ids = swarm.nodes.map(n => n.peerId)
      const victim = shared.shards.map(s => ids.indexOf(s.peer)).find(h => h !== 0) as number
      // The repair service has seen every holder (its holder map is full) before the victim goes.
      await waitFor(async () => (await swarm.nodes[0].check(shared.cid)).repair?.health === 'healthy', DEADLINE_MS, 'node 0 to plan the file as healthy')
      await swarm.kill(victim)
      const before = await swarm.nodes[0].check(shared.cid)
      assert.equal(before.healthy, false, 'check sees the file degraded')
      const repaired = await swarm.nodes[0].repair(shared.cid)
      assert.equal(repaired.rebuilt.length, 1, `repair rebuilt the lost shard (got ${JSON.stringify(repaired)})`)
      assert.notEqual(repaired.rebuilt[0].peer, ids[victim])
      assert.equal(repaired.healthy, true)
      assert.equal((await swarm.nodes[0].check(shared.cid)).healthy, true, 'check agrees after the repair')
    })
  })

  it('finishes a repair when the repairer dies during it', async () => {
    // A slow repair (40 kB/s for two 52 kB shards) so the repairer can be caught in the act.
    await withSwarm(8, { ...FAST_DETECTION, repairRate: 40_000 }, async (swarm) => {
      const data = randomBytes(200_000)
      const { cid, holders } = await share(swarm, data)
      await swarm.kill(holders.find(h => h !== 0) as number)
      let repairer = -1
      await waitFor(async () => {
        for (const i of swarm.alive()) {
          if ((await swarm.nodes[i].status()).repairJobs.some(j => j.cid === cid && j.state === 'running')) repairer = i
        }
        return repairer >= 0
      }, DEADLINE_MS, 'a holder to start repairing')
      await swarm.kill(repairer)
      const reader = swarm.alive().find(i => i !== 0 && !holders.includes(i)) ?? swarm.alive()[0]
      await waitFor(async () => await fullyRedundant(swarm, reader, cid), DEADLINE_MS * 2, 'another holder to take over the repair')
      await assertFetches(swarm, reader, cid, data)
    })
  })

  it('collects the extra copy of a holder that comes back after its shard was rebuilt', async () => {
    await withSwarm(7, FAST_DETECTION, async (swarm) => {
      const data = randomBytes(200_000)
      const { cid, holders } = await share(swarm, data)
      const returning = holders.find(h => h !== 0) as number
      await swarm.kill(returning)
      await waitFor(async () => await fullyRedundant(swarm, 0, cid), DEADLINE_MS, 'the repair')
      await swarm.restart(returning)
      // Its old shard makes one index doubly held; someone must give a copy up, and never below k + m live.
      const collected = async (): Promise<number> => await total(swarm, 'copiesCollected')
      await waitFor(async () => await collected() >= 1, DEADLINE_MS, 'a holder of the doubled index to give its copy up')
      await waitFor(async () => {
        const check = await swarm.nodes[0].check(cid)
        assert.ok(check.live === K + M, `live must never drop below k+m (saw ${check.live})`)
        return await fullyRedundant(swarm, 0, cid)
      }, DEADLINE_MS, 'the extra copy to be collected')
      assert.equal(await collected(), 1, 'exactly one extra copy was collected')
      await assertFetches(swarm, 0, cid, data)
    })
  })

  it('repairs a shard that rotted on disk, found by the scrubber', async () => {
    await withSwarm(7, { ...FAST_DETECTION, scrubIntervalMs: 100 }, async (swarm) => {
      const data = randomBytes(200_000)
      const { cid, holders } = await share(swarm, data)
      const index = 1
      const node = holders[index]
      const file = await open(join(swarm.repos[node], 'store', 'shards', cid, String(index)), 'r+')
      await file.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, 20_000)
      await file.close()
      await waitFor(async () => (await readdir(join(swarm.repos[node], 'store', 'quarantine'))).some(n => n.startsWith(`${cid}.${index}.`)), DEADLINE_MS, 'the scrubber to quarantine the shard')
      assert.ok((await swarm.nodes[node].status()).scrub.corruptFound >= 1)
      await waitFor(async () => (await swarm.nodes[0].check(cid)).healthy, DEADLINE_MS, 'the rotten shard to be rebuilt')
      await assertFetches(swarm, 0, cid, data)
    })
  })
})
