import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Manifest } from '../../../coder/manifest.ts'
import { RecentHolders, RECENT_HOLDERS_TTL_MS, type Located } from '../../../node/fetch/recent-holders.ts'

const located = (peer: string): Located => ({ manifest: {} as Manifest, holders: { manifest: [peer], shards: new Map([[0, [peer]]]) } as any })

describe('RecentHolders', () => {
  it('answers within the TTL, not after it, and not once forgotten', () => {
    let now = 1_000
    const recent = new RecentHolders(() => now)
    assert.equal(recent.get('a'), undefined)
    recent.remember('a', located('p1'))
    now += RECENT_HOLDERS_TTL_MS
    assert.deepEqual(recent.get('a'), located('p1'))
    now += 1
    assert.equal(recent.get('a'), undefined, 'expired')
    recent.remember('a', located('p2'))
    recent.forget('a')
    assert.equal(recent.get('a'), undefined, 'forgotten')
  })

  it('a new entry restarts the TTL', () => {
    let now = 0
    const recent = new RecentHolders(() => now)
    recent.remember('a', located('p1'))
    now = RECENT_HOLDERS_TTL_MS - 1
    recent.remember('a', located('p2'))
    now = 2 * RECENT_HOLDERS_TTL_MS - 2
    assert.deepEqual(recent.get('a'), located('p2'))
  })

  it('reads that start together share one lookup; a failed lookup is not remembered', async () => {
    const recent = new RecentHolders(() => 0)
    let lookups = 0
    const find = async (): Promise<Located> => {
      lookups++
      await new Promise(resolve => setImmediate(resolve))
      return located(`p${lookups}`)
    }
    const answers = await Promise.all(Array.from({ length: 16 }, async () => await recent.locate('a', find)))
    assert.equal(lookups, 1)
    assert.ok(answers.every(a => a === answers[0]))
    await assert.rejects(recent.locate('b', async () => { throw new Error('no holder answered') }), /no holder answered/)
    assert.deepEqual(await recent.locate('b', find), located('p2'), 'the next read looks again')
  })
})
