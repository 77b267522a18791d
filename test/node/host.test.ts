// The libp2p host as the daemon configures it, on two real nodes over loopback: RTT probes that overlap (the peer
// directory's and the connection monitor's) must all be answered, because a ping that hits the protocol's stream
// limit makes libp2p's connection monitor abort the connection, and every transfer on it with it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MAX_PING_STREAMS } from '../../node/constants.ts'
import { createHost, type Host } from '../../node/host.ts'

describe('libp2p host', () => {
  let a: Host
  let b: Host

  before(async () => {
    const options = { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false }
    a = await createHost({ ...options, privateKey: await generateKeyPair('Ed25519') })
    b = await createHost({ ...options, privateKey: await generateKeyPair('Ed25519') })
    await a.dial(b.getMultiaddrs()[0])
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
  })

  // Half the limit: the daemon's worst case is 3 monitor pings and a directory probe out at once (node/constants.ts);
  // the other half is the headroom the limit keeps for both ends' pings crossing. At the limit itself the test failed
  // about one run in three (a stream reset by the remote), as a limit met exactly would in the field.
  const OVERLAPPING = MAX_PING_STREAMS / 2
  it(`answers ${OVERLAPPING} overlapping pings to one peer on one connection`, async () => {
    const rtts = await Promise.all(Array.from({ length: OVERLAPPING }, async () => await a.services.ping.ping(b.peerId)))
    for (const rtt of rtts) assert.ok(Number.isFinite(rtt) && rtt >= 0, `rtt ${rtt}`)
    assert.equal(a.getConnections(b.peerId).length, 1, 'the connection is still up, and the only one')
  })
})
