// A Helia node for bench/helia-peer.ts, as a small facade. It lives in bench/helia/ so that Helia and its libp2p
// resolve from bench/helia/node_modules (`npm run bench:helia-install`), never from the project's tree
// (docs/DEPENDENCIES.md). Nothing leaves loopback: TCP on 127.0.0.1 only, and the light constructors, so no DHT, no
// bootstrap, no mDNS, no delegated routing and no HTTP gateways (helia's createHelia() adds the last two by default).
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { FsBlockstore } from 'blockstore-fs'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'

/** @param {string} blockstoreDir */
export async function startHeliaNode (blockstoreDir) {
  const blockstore = new FsBlockstore(blockstoreDir)
  await blockstore.open()
  const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore }), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }))
  await helia.start()
  const fs = unixfs(helia)
  return {
    peerId: helia.libp2p.peerId.toString(),
    addresses: helia.libp2p.getMultiaddrs().map(a => a.toString()),
    /** @param {AsyncIterable<Uint8Array>} bytes */
    add: async (bytes) => (await fs.addByteStream(bytes)).toString(),
    /** @param {string} address */
    dial: async (address) => { await helia.libp2p.dial(multiaddr(address)) },
    /** @param {string} cid */
    cat: (cid) => fs.cat(CID.parse(cid)),
    stop: async () => {
      await helia.stop()
      await blockstore.close()
    }
  }
}
