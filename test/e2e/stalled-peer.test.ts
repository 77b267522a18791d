// A slow or hung peer (#19 item 5): a holder's daemon stopped with SIGSTOP keeps its TCP connections open and answers
// nothing, the worst case for a reader (no reset to react to). On real daemon processes: a fetch right after the stall
// reads past it, the failure detector declares it dead (--dead-after 3s) and its shard is rebuilt elsewhere, a new
// share goes around it, and after SIGCONT it serves again and its extra copy is collected.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DaemonSwarm, FAST_REPAIR_FLAGS } from '../harness/daemon-swarm.ts'
import { waitFor } from '../harness/poll.ts'

const DEADLINE_MS = 90_000
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

describe('a holder stopped with SIGSTOP', { timeout: 300_000 }, () => {
  let root: string
  let swarm: DaemonSwarm

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-stalled-'))
    swarm = await DaemonSwarm.start({ root, count: 5, flags: () => FAST_REPAIR_FLAGS })
  })

  after(async () => {
    await swarm?.stop()
    await rm(root, { recursive: true, force: true })
  })

  async function shareFile (from: number, name: string, data: Uint8Array): Promise<{ cid: string, holders: number[] }> {
    const file = join(root, name)
    await writeFile(file, data)
    const shared = await swarm.cli(from, ['share', file, '--k', '2', '--m', '2', '--json'])
    assert.equal(shared.code, 0, shared.stderr)
    return { cid: shared.json.cid, holders: (shared.json.shards as Array<{ peer: string }>).map(s => swarm.byPeer(s.peer)) }
  }

  async function assertFetches (reader: number, cid: string, data: Uint8Array, name: string): Promise<void> {
    const out = join(root, name)
    const fetched = await swarm.cli(reader, ['fetch', cid, '-o', out, '--force', '--json'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.equal(sha256(await readFile(out)), sha256(data))
  }

  /** Every index of `cid` stored once, on a daemon that is up (the disks, whatever any daemon believes). */
  async function fullyRedundantOnDisk (cid: string): Promise<boolean> {
    const stored = await swarm.storedShards(cid)
    const up = new Set(swarm.up())
    const indexes = stored.filter(s => up.has(s.daemon)).map(s => s.index).sort()
    return indexes.join() === '0,1,2,3'
  }

  it('reads past it, rebuilds its shard elsewhere, shares around it, and takes it back after SIGCONT', async () => {
    const data = randomBytes(3 * 1024 * 1024)
    const { cid, holders } = await shareFile(0, 'a.bin', data)
    const victim = holders.find(h => h !== 0) as number
    const reader = [1, 2, 3, 4].find(i => i !== victim) as number
    swarm.stall(victim)

    // Right after the stall: the reader's connection to the victim is open and silent.
    await assertFetches(reader, cid, data, 'a-read.bin')

    // Declared dead after --dead-after, its shard rebuilt on the fifth daemon.
    await waitFor(async () => await fullyRedundantOnDisk(cid), DEADLINE_MS, 'the hung holder\'s shard rebuilt on a live daemon')

    // A new share goes around it (4 shards on the 4 daemons that answer) and reads back.
    const fresh = randomBytes(1024 * 1024)
    const second = await shareFile(reader, 'b.bin', fresh)
    assert.ok(!second.holders.includes(victim), 'no shard given to the hung daemon')
    await assertFetches(0, second.cid, fresh, 'b-read.bin')

    // SIGCONT: it answers again, serves, and one copy of the doubled index goes.
    swarm.resume(victim)
    await waitFor(async () => (await swarm.status(victim)).peers >= 4, DEADLINE_MS, 'the resumed daemon back in the mesh')
    await assertFetches(victim, second.cid, fresh, 'b-victim.bin')
    await waitFor(async () => (await swarm.storedShards(cid)).length === 4, DEADLINE_MS, 'the extra copy collected')
    assert.equal(swarm.crashed().length, 0, 'no daemon crashed')
  })
})
