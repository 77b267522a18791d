// The peer directory with a fake network around it: measured RTTs move this node's Vivaldi coordinate, and a peer
// that cannot be pinged gets an RTT estimated from the coordinate it advertises.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerDirectory } from '../../../node/membership/peer-directory.ts'
import { estimateRtt, newCoordinate, type VivaldiCoordinate } from '../../../node/placement/index.ts'
import type { PeerInfoMessage } from '../../../node/wire/messages.ts'

const at = (x: number): VivaldiCoordinate => ({ ...newCoordinate(), vec: [x, 0, 0, 0, 0, 0, 0, 0], error: 0.2 })

describe('PeerDirectory', () => {
  it('reports measured RTTs, estimates the unpingable from coordinates, and says which is which', async () => {
    const coordinates: Record<string, VivaldiCoordinate | undefined> = { a: at(10), b: at(20), c: at(40), d: undefined }
    const pings: Record<string, number | undefined> = { a: 10, b: 20 }
    const directory = new PeerDirectory({
      connectedPeers: () => ['a', 'b', 'c', 'd'],
      addresses: () => [],
      info: async (peer): Promise<PeerInfoMessage> => ({ zone: 'z', region: 'r', carbon: 1, carbonSource: 'static', freeBytes: null, usedBytes: 0, coordinate: coordinates[peer] }),
      ping: async (peer) => {
        const rtt = pings[peer]
        if (rtt === undefined) throw new Error('no pong')
        return rtt
      }
    }, () => 0)
    const before = directory.coordinate
    for (let round = 0; round < 20; round++) await directory.refreshAll()
    assert.notDeepEqual(directory.coordinate.vec, before.vec, 'measured RTTs moved our coordinate')
    assert.deepEqual([directory.get('a')?.rttMs, directory.get('a')?.rttSource], [10, 'measured'])
    assert.deepEqual([directory.get('b')?.rttMs, directory.get('b')?.rttSource], [20, 'measured'])
    const c = directory.get('c')
    assert.equal(c?.rttSource, 'estimated')
    assert.equal(c?.rttMs, estimateRtt(directory.coordinate, coordinates.c as VivaldiCoordinate))
    assert.ok((c?.rttMs ?? 0) > 20, `c sits beyond b in coordinate space (estimated ${c?.rttMs} ms)`)
    assert.deepEqual([directory.get('d')?.rttMs, directory.get('d')?.rttSource], [null, null], 'no ping and no coordinate: unknown')
  })
})
