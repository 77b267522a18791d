// The emulated WAN's plan (bench/wan/profile.ts): names, addresses, per-link delays and rates, and the exact ip/tc
// commands, checked without root. The namespaces themselves are built in wan-netns.test.ts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  describePlan, EDGE_TIERS, execPrefix, namespaces, netemLimit, ownerPid, peerAddress, planWan, qdiscArgs, rttMs, runId, setupCommands
} from '../../bench/wan/profile.ts'

describe('emulated WAN plan', () => {
  it('names every namespace after its run and peer, and knows the pid that made it', () => {
    const plan = planWan(runId(4242, 0), 3)
    assert.equal(plan.hub, 'emwan-4242-0-hub')
    assert.deepEqual(namespaces(plan), ['emwan-4242-0-0', 'emwan-4242-0-1', 'emwan-4242-0-2', 'emwan-4242-0-hub'])
    assert.equal(ownerPid('emwan-4242-0-hub'), 4242)
    assert.equal(ownerPid('emwan-4242-7-13'), 4242)
    for (const other of ['emwan-x-1', 'emwanx-1-2-3', 'cni-1234', 'emwan-12-hub']) assert.equal(ownerPid(other), undefined, other)
    assert.deepEqual(execPrefix(plan, 1), ['ip', 'netns', 'exec', 'emwan-4242-0-1'])
    assert.throws(() => planWan('run', 2), /pid/)
    assert.throws(() => planWan('1-0', 0), /at least one/)
  })

  it('gives distinct private addresses in 10.77.0.0/16', () => {
    assert.equal(peerAddress(0), '10.77.0.1')
    assert.equal(peerAddress(253), '10.77.0.254')
    assert.equal(peerAddress(254), '10.77.0.255')
    assert.equal(peerAddress(255), '10.77.1.0')
    const all = Array.from({ length: 600 }, (_, i) => peerAddress(i))
    assert.equal(new Set(all).size, all.length)
    assert.throws(() => peerAddress(-1), RangeError)
    assert.throws(() => peerAddress(65_534), RangeError)
  })

  it('spreads peers over the tiers so that pairwise RTTs span 20–150 ms', () => {
    const plan = planWan('1-0', 14)
    assert.deepEqual(plan.peers.slice(0, 5).map(p => p.tier), ['metro', 'national', 'continental', 'intercontinental', 'metro'])
    assert.ok(plan.peers.every(p => p.rateMbit === 100))
    const rtts = plan.peers.flatMap(a => plan.peers.filter(b => b.index > a.index).map(b => rttMs(plan, a.index, b.index)))
    assert.equal(Math.min(...rtts), 20)
    assert.equal(Math.max(...rtts), 150)
    assert.equal(rttMs(plan, 0, 1), 2 * (EDGE_TIERS[0].oneWayMs + EDGE_TIERS[1].oneWayMs))
    assert.equal(rttMs(plan, 3, 3), 0)
    assert.match(describePlan(plan), /^14 peers: .* network namespace .* 100 Mbit\/s each way, netem .* pairwise RTT 20–150 ms$/)
    const flat = planWan('1-0', 4, 'rate-only')
    assert.ok(flat.peers.every(p => p.oneWayMs === 0))
    assert.match(describePlan(flat), /no added delay/)
  })

  it('shapes each link with netem delay and rate, its queue holding rate × (delay + 100 ms)', () => {
    const plan = planWan('1-0', 4)
    const far = plan.peers[3] // 37.5 ms
    assert.equal(netemLimit(far), Math.ceil(100e6 / 8 * 0.1375 / 1500))
    assert.equal(netemLimit({ ...far, oneWayMs: 0, rateMbit: 10 }), 1000, 'never below netem\'s default')
    assert.deepEqual(qdiscArgs(far, 'netem'), ['netem', 'delay', '37.5ms', 'rate', '100mbit', 'limit', String(netemLimit(far))])
    assert.deepEqual(qdiscArgs(far, 'rate-only'), ['tbf', 'rate', '100mbit', 'burst', '64kb', 'latency', '100ms'])
  })

  it('builds everything inside its own namespaces: veth ends created there, addresses and qdiscs only there', () => {
    const plan = planWan('7-1', 2)
    const commands = setupCommands(plan)
    assert.deepEqual(commands.slice(0, 3), [
      ['ip', 'netns', 'add', 'emwan-7-1-hub'], ['ip', '-n', 'emwan-7-1-hub', 'link', 'add', 'br0', 'type', 'bridge'], ['ip', '-n', 'emwan-7-1-hub', 'link', 'set', 'br0', 'up']
    ])
    assert.deepEqual(commands.slice(3, 12), [
      ['ip', 'netns', 'add', 'emwan-7-1-0'],
      ['ip', '-n', 'emwan-7-1-hub', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'emwan-7-1-0'],
      ['ip', '-n', 'emwan-7-1-hub', 'link', 'set', 'v0', 'master', 'br0'],
      ['ip', '-n', 'emwan-7-1-hub', 'link', 'set', 'v0', 'up'],
      ['ip', '-n', 'emwan-7-1-0', 'addr', 'add', '10.77.0.1/16', 'dev', 'eth0'],
      ['ip', '-n', 'emwan-7-1-0', 'link', 'set', 'eth0', 'up'],
      ['ip', '-n', 'emwan-7-1-0', 'link', 'set', 'lo', 'up'],
      ['tc', '-n', 'emwan-7-1-0', 'qdisc', 'add', 'dev', 'eth0', 'root', ...qdiscArgs(plan.peers[0], 'netem')],
      ['tc', '-n', 'emwan-7-1-hub', 'qdisc', 'add', 'dev', 'v0', 'root', ...qdiscArgs(plan.peers[0], 'netem')]
    ])
    assert.equal(commands.length, 3 + 2 * 9)
    // Every command but `netns add` names one of the plan's namespaces with -n: none acts on the host's own.
    for (const c of commands) {
      if (c[1] === 'netns') continue
      assert.equal(c[1], '-n', c.join(' '))
      assert.ok(namespaces(plan).includes(c[2]), c.join(' '))
    }
  })
})
