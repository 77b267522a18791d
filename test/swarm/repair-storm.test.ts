// A repair storm (#19 item 5): one holder of most of 12 files dies at once. Each node runs one repair at a time
// (REPAIR.md, "The repair service", step 3), so the storm is bounded by the number of leaders, not the number of
// files; it must still end with every file back at k + m and each rebuilt exactly once, and the swarm must share and
// fetch right after.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { assertFetches, DEADLINE_MS, fullyRedundant, share, total } from './repair-helpers.ts'
import { FAST_DETECTION, waitFor, withSwarm } from './swarm.ts'

describe('a repair storm on a loopback swarm', () => {
  it('a repair storm: 12 files lose a holder at once; each node runs one repair at a time, each file is rebuilt once, and the swarm shares and fetches right after', async () => {
    // Dead after 10 s rather than 4: a live holder whose event loop stalls under load must not be read as dead here,
    // or its files get rebuilt too and "each exactly once" would be about the machine, not the repair service.
    await withSwarm(7, { ...FAST_DETECTION, deadAfterMs: 10_000 }, async (swarm) => {
      const files: Array<{ cid: string, holders: number[], data: Uint8Array }> = []
      for (let f = 0; f < 12; f++) {
        const data = randomBytes(40_000)
        files.push({ ...await share(swarm, data), data })
      }
      // The node holding shards of the most files (RS(4,2) on 7 nodes: most of them).
      const held = (i: number): number => files.filter(f => f.holders.includes(i)).length
      const victim = [1, 2, 3, 4, 5, 6].reduce((best, i) => held(i) > held(best) ? i : best)
      const hit = files.filter(f => f.holders.includes(victim))
      assert.ok(hit.length >= 6, `the victim held shards of ${hit.length} files`)
      await swarm.kill(victim)
      // Sampled while the storm runs: no node ever has two repairs running (REPAIR.md, "One repair at a time").
      let mostRunning = 0
      await waitFor(async () => {
        for (const i of swarm.alive()) {
          const running = (await swarm.nodes[i].status()).repairJobs.filter(j => j.state === 'running').length
          mostRunning = Math.max(mostRunning, running)
        }
        return await total(swarm, 'repairsDone') >= hit.length
      }, 90_000, `${hit.length} repairs`)
      assert.ok(mostRunning <= 1, `at most one running repair per node (saw ${mostRunning})`)
      for (const f of hit) await waitFor(async () => await fullyRedundant(swarm, 0, f.cid), DEADLINE_MS, `${f.cid} back at k+m`)
      assert.equal(await total(swarm, 'repairsDone'), hit.length, 'each file rebuilt exactly once')
      // Right after: a new share and fetches of a repaired and a fresh file.
      const fresh = randomBytes(100_000)
      const { cid } = await share(swarm, fresh)
      await assertFetches(swarm, swarm.alive().at(-1) as number, cid, fresh)
      await assertFetches(swarm, swarm.alive().at(-1) as number, hit[0].cid, hit[0].data)
    })
  })
})
