// DHT announces only when the DHT can matter (the swarm outgrew a full mesh), then everything held once and each new
// CID, deduplicated, one provide at a time.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AnnounceQueue } from '../../../node/transfer/announce-queue.ts'
import { waitFor } from '../../harness/poll.ts'

function setup (held: string[], failing = new Set<string>()): { queue: AnnounceQueue, provided: string[], mesh: { full: boolean }, maxInFlight: () => number } {
  const provided: string[] = []
  const mesh = { full: true }
  let inFlight = 0
  let most = 0
  const queue = new AnnounceQueue({
    provide: async (cid) => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise(resolve => setImmediate(resolve))
      inFlight--
      if (failing.has(cid)) throw new Error('no DHT peers')
      provided.push(cid)
    },
    meshFull: () => mesh.full,
    held: async () => held
  }, { checkMs: 60_000 })
  return { queue, provided, mesh, maxInFlight: () => most }
}

describe('AnnounceQueue', () => {
  it('provides nothing while the mesh is full', async () => {
    const { queue, provided } = setup(['a', 'b'])
    queue.start()
    queue.announce('c')
    queue.check()
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(provided, [])
    await queue.stop()
  })

  it('once the mesh is not full: everything held, then new CIDs, each once, one at a time; failures do not stop it', async () => {
    const { queue, provided, mesh, maxInFlight } = setup(['a', 'b', 'c'], new Set(['b']))
    queue.start()
    mesh.full = false
    queue.announce('d')
    queue.announce('d')
    queue.announce('a')
    await waitFor(() => ['a', 'c', 'd'].every(c => provided.includes(c)) && queue.counts().waiting === 0, 5_000, 'the held CIDs and the new one')
    assert.deepEqual([...provided].sort(), ['a', 'c', 'd'], 'each once; b failed')
    queue.announce('a')
    queue.announce('e')
    await waitFor(() => provided.includes('e'), 5_000, 'e')
    assert.equal(provided.filter(c => c === 'a').length, 1, 'a was announced once')
    assert.equal(maxInFlight(), 1)
    // Full again, then not: a new catch-up announces everything held again (records expire in the DHT meanwhile).
    mesh.full = true
    queue.check()
    mesh.full = false
    queue.check()
    await waitFor(() => provided.filter(c => c === 'a').length === 2, 5_000, 'a second catch-up')
    await queue.stop()
  })
})
