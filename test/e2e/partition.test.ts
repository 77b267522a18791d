// A swarm split in two live halves and healed (#19 item 5, "partition and heal"): six daemons, each in a network
// namespace of its own on a bridge (bench/wan/netns.ts), cut 3 | 3 with blackhole routes (packets dropped in silence,
// as a real partition does, no reset to react to). Each half sees the other as dead: a file with a replica on each
// side is rebuilt on both (split brain), every file with a replica on a side reads there. After the routes go, the
// halves meet again and the extra copies are collected: one copy per index, every file reads from both sides, nothing
// lost. Needs root and `ip`: skipped, with the reason, where namespaces cannot be made.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { probeWan, tool, WanTopology } from '../../bench/wan/netns.ts'
import { DaemonSwarm, FAST_REPAIR_FLAGS } from '../harness/daemon-swarm.ts'
import { waitFor } from '../harness/poll.ts'

const run = promisify(execFile)
const DEADLINE_MS = 120_000
const SIDES = [[0, 1, 2], [3, 4, 5]]
const FILES = 4
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
const probe = await probeWan('rate-only')

describe('a swarm split in two halves and healed', { skip: probe.ok ? false : probe.reason, timeout: 360_000 }, () => {
  let root: string
  let topology: WanTopology | undefined
  let swarm: DaemonSwarm | undefined

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-partition-'))
    topology = await WanTopology.create(6, 'rate-only')
    swarm = await DaemonSwarm.start({ root, count: 6, flags: () => FAST_REPAIR_FLAGS, network: topology })
  })

  after(async () => {
    await swarm?.stop()
    await topology?.destroy()
    await rm(root, { recursive: true, force: true })
  })

  /** Add or remove, in both directions, a blackhole route between every daemon of one side and every one of the other. */
  async function cut (op: 'add' | 'del'): Promise<void> {
    const t = topology as WanTopology
    for (const [from, to] of [[SIDES[0], SIDES[1]], [SIDES[1], SIDES[0]]]) {
      for (const i of from) {
        for (const j of to) await run(tool('ip') ?? 'ip', ['-n', t.link(i).namespace, 'route', op, 'blackhole', `${t.host(j)}/32`])
      }
    }
  }

  async function fetchesOn (reader: number, cid: string, data: Uint8Array): Promise<void> {
    const out = join(root, `read-${reader}-${cid.slice(-8)}`)
    const fetched = await (swarm as DaemonSwarm).cli(reader, ['fetch', cid, '-o', out, '--force', '--json'])
    assert.equal(fetched.code, 0, `fetch on daemon ${reader}: ${fetched.stderr}`)
    assert.equal(sha256(await readFile(out)), sha256(data))
    await rm(out)
  }

  /** Indexes of `cid` stored on the daemons of `side`, sorted. */
  async function indexesOn (cid: string, side: number[]): Promise<string> {
    return (await (swarm as DaemonSwarm).storedShards(cid)).filter(s => side.includes(s.daemon)).map(s => s.index).sort().join()
  }

  it('each half reads what it holds and rebuilds what it can; after the heal every index is held once and every file reads from both sides', async () => {
    const s = swarm as DaemonSwarm
    const files: Array<{ cid: string, data: Uint8Array, sides: Set<number> }> = []
    // At least two files with a replica on each side (60 % of shares are split 3 | 3 by chance): the split-brain case.
    for (let f = 0; f < 4 * FILES && (files.length < FILES || files.filter(x => x.sides.size === 2).length < 2); f++) {
      const data = randomBytes(100_000)
      const path = join(root, `f${f}.bin`)
      await writeFile(path, data)
      const shared = await s.cli(f % 6, ['share', path, '--replicas', '2', '--json'])
      assert.equal(shared.code, 0, shared.stderr)
      const holders = (shared.json.shards as Array<{ peer: string }>).map(h => s.byPeer(h.peer))
      files.push({ cid: shared.json.cid, data, sides: new Set(holders.map(h => SIDES.findIndex(side => side.includes(h)))) })
    }
    assert.ok(files.filter(f => f.sides.size === 2).length >= 2, 'files with a replica on each side')

    await cut('add')
    try {
      // A file with a replica on a side reads there; one with a replica on each side is rebuilt on both (split brain).
      for (const [i, side] of SIDES.entries()) {
        for (const f of files.filter(f => f.sides.has(i))) {
          await fetchesOn(side[0], f.cid, f.data)
          await waitFor(async () => await indexesOn(f.cid, side) === '0,1', DEADLINE_MS, `side ${i} to rebuild ${f.cid} on its own`)
        }
      }
    } finally {
      await cut('del')
    }

    // Healed: the halves meet again, each doubled index gives one copy up, and nothing is lost.
    for (const f of files) {
      await waitFor(async () => (await s.storedShards(f.cid)).map(h => h.index).sort().join() === '0,1', DEADLINE_MS, `${f.cid} back to one copy of each index`)
      await fetchesOn(SIDES[0][1], f.cid, f.data)
      await fetchesOn(SIDES[1][1], f.cid, f.data)
    }
    assert.equal(s.crashed().length, 0, 'no daemon crashed')
  })
})
