// The Helia twin of bench/raw-stream-peer.ts: bench/transfer.ts fetches the same file with Helia, over the same
// loopback in the same run, to set edgemirror's fetch beside an IPFS implementation's (issue #18). Helia comes from
// its own optional install (bench/helia-install.ts); this process has the daemon's heap settings, so neither side
// wins on garbage collection alone.
//
//   helia-peer.ts add <file> <blockstore dir> [<warm-up bytes>]
//        start a node (blockstore on disk in <blockstore dir>), add <warm-up bytes> of pseudo-random data untimed and
//        then the file, streamed; print {cid, warmUpCid, peerId, addresses, ms} (ms: the file's add) and serve both
//        until SIGTERM
//   helia-peer.ts cat <cid> <multiaddr> <blockstore dir> [<warm-up cid>]
//        start a node, dial the adder, cat the warm-up CID untimed (JIT, bitswap session, connection), then cat <cid>
//        counting and hashing the bytes; print {bytes, ms, sha256} (ms from starting the cat to its last byte)
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { tuneHeapForStreaming } from '../node/heap-tuning.ts'
import { heliaDir, heliaMissing, loadHelia } from './helia-install.ts'
import type { HeliaNode } from './helia/helia-node.mjs'
import { pseudoRandomBytes } from './pseudo-random.ts'

async function startNode (blockstoreDir: string): Promise<HeliaNode> {
  const dir = heliaDir()
  const missing = heliaMissing(dir)
  if (missing !== undefined) throw new Error(`${missing} (looked in ${dir})`)
  return await (await loadHelia(dir))(blockstoreDir)
}

async function * once (bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes }

async function add (file: string, blockstoreDir: string, warmUp: number): Promise<void> {
  const node = await startNode(blockstoreDir)
  const warmUpCid = warmUp > 0 ? await node.add(once(pseudoRandomBytes(2, warmUp))) : undefined
  const started = performance.now()
  const cid = await node.add(createReadStream(file))
  const ms = performance.now() - started
  process.stdout.write(`${JSON.stringify({ cid, warmUpCid, peerId: node.peerId, addresses: node.addresses, ms })}\n`)
  await new Promise<void>(resolve => { process.once('SIGTERM', resolve) })
  await node.stop()
}

/** Stream `cid` from the network, counting and hashing as the bytes come: nothing is held beyond one chunk. */
async function catAll (node: HeliaNode, cid: string): Promise<{ bytes: number, sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of node.cat(cid)) {
    hash.update(chunk)
    bytes += chunk.byteLength
  }
  return { bytes, sha256: hash.digest('hex') }
}

async function cat (cid: string, address: string, blockstoreDir: string, warmUpCid: string | undefined): Promise<void> {
  const node = await startNode(blockstoreDir)
  await node.dial(address)
  if (warmUpCid !== undefined) await catAll(node, warmUpCid)
  const started = performance.now()
  const { bytes, sha256 } = await catAll(node, cid)
  const ms = performance.now() - started
  process.stdout.write(`${JSON.stringify({ bytes, ms, sha256 })}\n`)
  await node.stop()
}

tuneHeapForStreaming()
const [mode, ...args] = process.argv.slice(2)
const run = mode === 'add'
  ? add(args[0], args[1], Number(args[2] ?? 0))
  : mode === 'cat'
    ? cat(args[0], args[1], args[2], args[3])
    : Promise.reject(new Error('usage: helia-peer.ts add <file> <blockstore dir> [<warm-up bytes>] | cat <cid> <multiaddr> <blockstore dir> [<warm-up cid>]'))
run.catch((err) => {
  process.stderr.write(`helia-peer ${mode}: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
