// Vivaldi coordinates converge on a synthetic RTT matrix: nodes on a plane plus a per-node access delay (height).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { estimateRtt, newCoordinate, updateCoordinate, type VivaldiCoordinate } from '../../../node/placement/index.ts'
import { Xoshiro128ss } from '../../../bench/durability/prng.ts'

function syntheticWorld (n: number, rng: () => number): number[][] {
  const nodes = Array.from({ length: n }, () => ({ x: rng() * 200, y: rng() * 100, h: 1 + rng() * 10 }))
  return nodes.map(a => nodes.map(b => a === b ? 0 : Math.hypot(a.x - b.x, a.y - b.y) + a.h + b.h))
}

function medianRelativeError (rtt: number[][], coords: VivaldiCoordinate[]): number {
  const errors: number[] = []
  for (let i = 0; i < rtt.length; i++) for (let j = i + 1; j < rtt.length; j++) errors.push(Math.abs(estimateRtt(coords[i], coords[j]) - rtt[i][j]) / rtt[i][j])
  errors.sort((a, b) => a - b)
  return errors[Math.floor(errors.length / 2)]
}

describe('vivaldi', () => {
  it('converges: median relative error under 10% after 200 rounds on 40 nodes', () => {
    const prng = new Xoshiro128ss(7)
    const rng = (): number => prng.nextUint32() / 2 ** 32
    const rtt = syntheticWorld(40, rng)
    let coords = rtt.map(() => newCoordinate())
    const start = medianRelativeError(rtt, coords)
    const errorAt: number[] = []
    for (let round = 0; round < 200; round++) {
      coords = coords.map((own, i) => {
        const j = (i + 1 + Math.floor(rng() * (rtt.length - 1))) % rtt.length
        return updateCoordinate(own, coords[j], rtt[i][j] * (0.95 + 0.1 * rng()), undefined, rng)
      })
      if (round % 50 === 49) errorAt.push(medianRelativeError(rtt, coords))
    }
    assert.ok(start > 0.9, `starts knowing nothing (${start})`)
    assert.ok(errorAt[errorAt.length - 1] < 0.1, `median relative error ${errorAt.join(', ')}`)
    assert.ok(coords.every(c => c.error < 0.5), 'every node is confident')
  })

  it('ignores a nonsense RTT and predicts from heights alone at the origin', () => {
    const a = newCoordinate()
    assert.equal(updateCoordinate(a, a, Number.NaN), a)
    assert.equal(estimateRtt({ ...a, heightMs: 3 }, { ...a, heightMs: 4 }), 7)
  })
})
