// The mesh keeper with fake surroundings: whom it dials from a peer exchange, and that a lone node knocks on its
// bootstrap peers again instead of staying isolated.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_MESH_PEERS } from '../../../node/constants.ts'
import { MeshKeeper, type MeshComponents } from '../../../node/membership/mesh.ts'

const id = (n: number): string => `12D3KooW${String(n).padStart(44, 'A')}`

function keeper (connected: string[], overrides: Partial<MeshComponents> = {}): { mesh: MeshKeeper, dialed: string[], rejoins: number[] } {
  const dialed: string[] = []
  const rejoins: number[] = []
  const mesh = new MeshKeeper({
    selfId: id(0),
    connectedPeers: () => connected,
    exchange: async () => [],
    dial: async (peer) => { dialed.push(peer) },
    rejoin: async () => { rejoins.push(1) },
    ...overrides
  })
  return { mesh, dialed, rejoins }
}

describe('MeshKeeper', () => {
  it('dials only new peers with plain TCP addresses, never itself, and never past the cap', () => {
    const { mesh } = keeper([id(1)])
    const picked = mesh.toDial([
      { peerId: id(0), addresses: ['/ip4/127.0.0.1/tcp/1'] },
      { peerId: id(1), addresses: ['/ip4/127.0.0.1/tcp/2'] },
      { peerId: id(2), addresses: ['/ip4/127.0.0.1/tcp/3', '/dns4/evil.example/tcp/80', '/ip4/10.0.0.1/udp/4/quic'] },
      { peerId: id(3), addresses: ['/unix/tmp/sock'] },
      { peerId: id(2), addresses: ['/ip4/127.0.0.1/tcp/9'] }
    ])
    assert.deepEqual(picked, [{ peerId: id(2), addresses: ['/ip4/127.0.0.1/tcp/3'] }])
    const many = Array.from({ length: MAX_MESH_PEERS + 10 }, (_, i) => ({ peerId: id(i + 10), addresses: ['/ip4/127.0.0.1/tcp/5'] }))
    assert.equal(mesh.toDial(many).length, MAX_MESH_PEERS - 1, 'one connection is already up')
  })

  it('asks a peer whom it knows and dials the newcomers', async () => {
    const { mesh, dialed } = keeper([id(1)], { exchange: async () => [{ peerId: id(5), addresses: ['/ip4/127.0.0.1/tcp/7'] }] })
    await mesh.exchangeWith(id(1))
    assert.deepEqual(dialed, [id(5)])
  })

  it('rejoins through the bootstrap peers when it has no connection at all, and not otherwise', async () => {
    const alone = keeper([])
    await alone.mesh.exchangeAll()
    assert.equal(alone.rejoins.length, 1)
    const connected = keeper([id(1)])
    await connected.mesh.exchangeAll()
    assert.equal(connected.rejoins.length, 0)
  })
})
