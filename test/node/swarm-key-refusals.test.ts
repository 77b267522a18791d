// The swarm.key.refused log line is bounded: the first refusal at once, then one per interval with the count left out.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { rateLimitedRefusals, type SwarmKeyRefusal } from '../../node/swarm-key-refusals.ts'

describe('rateLimitedRefusals', () => {
  it('reports the first refusal at once, then at most one per interval with how many were left out', () => {
    let now = 1_000
    const reported: Array<[string, number]> = []
    const refuse = rateLimitedRefusals((refusal, suppressed) => { reported.push([refusal.address, suppressed]) }, 60_000, () => now)
    const at = (address: string): SwarmKeyRefusal => ({ address, direction: 'inbound' })
    refuse(at('a'))
    for (let i = 0; i < 500; i++) { now += 100; refuse(at('flood')) }
    assert.deepEqual(reported, [['a', 0]], 'a flood within the interval adds no line')
    now = 1_000 + 60_000
    refuse(at('b'))
    assert.deepEqual(reported, [['a', 0], ['b', 500]])
    now += 59_999
    refuse(at('c'))
    now += 1
    refuse(at('d'))
    assert.deepEqual(reported, [['a', 0], ['b', 500], ['d', 1]])
  })
})
