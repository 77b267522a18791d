// The operator's log (node/event-log.ts, docs/LOGS.md): real daemons with --log-format json write one JSON line on
// stderr per start, peer join, share, fetch, peer leave, holder declared dead, repair and stop, with its fields.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DaemonSwarm, FAST_REPAIR_FLAGS } from '../harness/daemon-swarm.ts'
import { waitFor } from '../harness/poll.ts'

/** The JSON lines of a daemon's stderr (other lines, such as a Node warning, are not the log's). */
function logLines (stderr: string): any[] {
  return stderr.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l))
}

describe('daemon log lines', () => {
  let root: string
  let swarm: DaemonSwarm
  const lines = (i: number, event?: string): any[] => logLines(swarm.daemons[i].stderr()).filter(l => event === undefined || l.event === event)

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-logs-'))
    swarm = await DaemonSwarm.start({ root, count: 4, flags: () => ['--log-format', 'json', ...FAST_REPAIR_FLAGS] })
  })

  after(async () => {
    await swarm?.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('logs start, joins, share, fetch, a peer leaving, its death, the repair and the stop, one JSON line each', { timeout: 180_000 }, async () => {
    const [start] = lines(0, 'daemon.start')
    assert.equal(start.level, 'info')
    assert.equal(start.peer, swarm.daemons[0].peerId)
    assert.equal(start.repo, swarm.repos[0])
    assert.deepEqual(start.addresses, swarm.daemons[0].addresses)
    assert.ok(!Number.isNaN(Date.parse(start.time)))
    const others = swarm.daemons.slice(1).map(d => d.peerId)
    await waitFor(() => others.every(p => lines(0, 'peer.join').some(l => l.peer === p)), 30_000, 'a peer.join line per peer')

    const file = join(root, 'photos.tar')
    const bytes = randomBytes(300_000)
    await writeFile(file, bytes)
    const shared = await swarm.cli(0, ['share', file, '--k', '2', '--m', '1', '--json'])
    assert.equal(shared.code, 0, shared.stderr)
    const cid: string = shared.json.cid
    const shares = lines(0, 'share')
    assert.equal(shares.length, 1, 'one line per share')
    assert.equal(shares[0].level, 'info')
    assert.deepEqual({ cid: shares[0].cid, size: shares[0].size, k: shares[0].k, m: shares[0].m }, { cid, size: bytes.length, k: 2, m: 1 })
    assert.equal(typeof shares[0].ms, 'number')

    const out = join(root, 'out.tar')
    const fetched = await swarm.cli(0, ['fetch', cid, '-o', out, '--json'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.ok((await readFile(out)).equals(bytes))
    await waitFor(() => lines(0, 'fetch').length > 0, 30_000, 'the fetch line')
    const fetches = lines(0, 'fetch')
    assert.equal(fetches.length, 1, 'one line per fetch')
    assert.deepEqual({ level: fetches[0].level, cid: fetches[0].cid, size: fetches[0].size, k: fetches[0].k, m: fetches[0].m }, { level: 'info', cid, size: bytes.length, k: 2, m: 1 })
    assert.equal(typeof fetches[0].ms, 'number')

    // A failed share: the error line carries its code.
    const refused = await swarm.cli(0, ['share', file, '--k', '6', '--m', '2', '--json'])
    assert.notEqual(refused.code, 0)
    const failed = lines(0, 'share').filter(l => l.level === 'error')
    assert.equal(failed.length, 1)
    assert.equal(failed[0].code, JSON.parse(refused.stderr).error.code, 'the code the CLI printed')
    assert.match(failed[0].code, /^ERR_[A-Z_]+$/)
    assert.equal(failed[0].k, 6)

    // Kill a holder other than the sharer: the sharer sees it leave, then declares it dead; a survivor rebuilds its shard.
    const holders: Array<{ index: number, peer: string }> = shared.json.shards
    const victim = holders.find(s => s.peer !== swarm.daemons[0].peerId) as { index: number, peer: string }
    const v = swarm.byPeer(victim.peer)
    await swarm.kill(v)
    await waitFor(() => lines(0, 'peer.leave').some(l => l.peer === victim.peer), 30_000, 'the peer.leave line')
    await waitFor(() => lines(0, 'peer.dead').some(l => l.peer === victim.peer && l.level === 'warn'), 60_000, 'the peer.dead line')
    const live = swarm.up()
    await waitFor(() => live.some(i => lines(i, 'repair').some(l => l.cid === cid && l.level === 'info')), 90_000, 'a repair line')
    const repair = live.flatMap(i => lines(i, 'repair')).find(l => l.cid === cid && l.level === 'info')
    assert.deepEqual(repair.shards, [victim.index])
    assert.equal(repair.peers.length, 1)
    assert.notEqual(repair.peers[0], victim.peer)
    assert.equal(typeof repair.ms, 'number')

    await swarm.daemons[0].stop()
    await waitFor(() => lines(0, 'daemon.stop').length === 1, 10_000, 'the daemon.stop line')
    assert.equal(lines(0, 'daemon.stop')[0].peer, swarm.daemons[0].peerId)
  })
})
