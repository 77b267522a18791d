// Leaderless leadership by rendezvous hashing: deterministic, order-independent, stable when non-leaders leave,
// minimal disruption when a peer joins, succession when the leader dies, and a fixed wire-compatible hash.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { rankPeers, repairLeader, repairWeight, shouldRepair, takeoverOrder } from '../../../node/repair/leader.ts'

const peerIds = fc.uniqueArray(fc.stringMatching(/^12D3Koo[A-Za-z0-9]{4,10}$/), { minLength: 1, maxLength: 12 })
const cids = fc.stringMatching(/^bafy[a-z2-7]{8,20}$/)

describe('repair leader (HRW)', () => {
  it('weighs with SHA-256(cid, NUL, peer), the first 8 bytes big-endian', () => {
    const digest = createHash('sha256').update('bafyfile\0peerA').digest()
    assert.equal(repairWeight('bafyfile', 'peerA'), digest.readBigUInt64BE(0))
  })

  it('ranks the same whatever order the peers come in, and ignores duplicates', () => {
    fc.assert(fc.property(cids, peerIds, fc.integer(), (cid, peers, seed) => {
      const shuffled = [...peers].sort((a, b) => (repairWeight(String(seed), a) < repairWeight(String(seed), b) ? -1 : 1))
      assert.deepEqual(rankPeers(cid, shuffled), rankPeers(cid, peers))
      assert.deepEqual(rankPeers(cid, [...peers, ...peers]), rankPeers(cid, peers))
      assert.equal(rankPeers(cid, peers).length, peers.length)
    }))
  })

  it('keeps the leader when a non-leader leaves', () => {
    fc.assert(fc.property(cids, peerIds, fc.nat(), (cid, peers, pick) => {
      const leader = repairLeader(cid, peers)
      const others = peers.filter(p => p !== leader)
      fc.pre(others.length > 0)
      const gone = others[pick % others.length]
      assert.equal(repairLeader(cid, peers.filter(p => p !== gone)), leader)
    }))
  })

  it('changes the leader on a join only to the newcomer', () => {
    fc.assert(fc.property(cids, peerIds, (cid, peers) => {
      const [newcomer, ...rest] = peers
      fc.pre(rest.length > 0)
      const after = repairLeader(cid, peers)
      assert.ok(after === repairLeader(cid, rest) || after === newcomer)
    }))
  })

  it('spreads leadership over files (no peer leads everything)', () => {
    const peers = ['p1', 'p2', 'p3', 'p4']
    const counts = new Map<string, number>()
    for (let i = 0; i < 4000; i++) {
      const leader = repairLeader(`file-${i}`, peers) as string
      counts.set(leader, (counts.get(leader) ?? 0) + 1)
    }
    // Binomial(4000, 1/4): mean 1000, σ ≈ 27; ±150 is beyond 5σ.
    for (const peer of peers) assert.ok(Math.abs((counts.get(peer) ?? 0) - 1000) < 150, `${peer}: ${counts.get(peer)}`)
  })

  it('has no leader without live holders', () => {
    assert.equal(repairLeader('bafyx', []), undefined)
  })

  it('hands over to the next live holder when the leader dies', () => {
    fc.assert(fc.property(cids, peerIds, fc.func(fc.boolean()), (cid, peers, alive) => {
      const isAlive = (p: string): boolean => alive(p)
      const order = takeoverOrder(cid, peers, isAlive)
      assert.deepEqual(order, rankPeers(cid, peers).filter(isAlive))
      // Exactly one live holder repairs (each judging itself alive, the others by the shared predicate).
      const repairers = peers.filter(p => isAlive(p) && shouldRepair(p, cid, peers, isAlive))
      assert.deepEqual(repairers, order.length > 0 ? [order[0]] : [])
    }))
  })

  it('lets a holder repair when everyone ranked above it is dead', () => {
    const cid = 'bafyexample'
    const holders = ['a', 'b', 'c']
    const [first, second, third] = rankPeers(cid, holders)
    const firstDead = (p: string): boolean => p !== first
    assert.equal(shouldRepair(second, cid, holders, firstDead), true)
    assert.equal(shouldRepair(third, cid, holders, firstDead), false)
    // A node judges itself alive: a leader that others wrongly think dead still repairs (the work is idempotent).
    assert.equal(shouldRepair(first, cid, holders, firstDead), true)
    assert.equal(shouldRepair(third, cid, holders, p => p === third), true)
  })

  it('never lets a non-holder repair', () => {
    assert.equal(shouldRepair('outsider', 'bafyx', ['a', 'b'], () => false), false)
  })
})
