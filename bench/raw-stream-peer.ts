// The baseline for bench/transfer.ts: one raw libp2p stream between two processes, with exactly the daemon's host
// config (node/host.ts: TCP + Noise + yamux and its window constants) and no edgemirror protocol on top, so
// share/fetch throughput can be read as a fraction of what the transport itself moves on this machine.
//
//   raw-stream-peer.ts sink [<multiaddr>]   listen (default /ip4/127.0.0.1/tcp/0; on the emulated WAN, the address
//                                           of its namespace), print {peerId, addresses}, count and discard what
//                                           each stream sends, reply {bytes} when the sender closes its side
//   raw-stream-peer.ts send <addr> <bytes> [<warm-up bytes>]
//                                           dial, send the warm-up bytes untimed (JIT, windows), then send <bytes> in
//                                           1 MiB writes honouring backpressure the way node/wire/frame-writer.ts
//                                           does; print {bytes, ms} (ms from opening the stream to the sink's reply)
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { performance } from 'node:perf_hooks'
import { tuneHeapForStreaming } from '../node/heap-tuning.ts'
import { createHost, type Host } from '../node/host.ts'
import { STREAM_IDLE_TIMEOUT_MS, WRITE_HIGH_WATER } from '../node/constants.ts'
import { drainBelow } from '../node/wire/frame-writer.ts'
import { pseudoRandomBytes } from './pseudo-random.ts'

export const RAW_SINK_PROTOCOL = '/edgemirror-bench/sink/1.0.0'

/** The daemon's block size (coder/constants.ts DEFAULT_BLOCK_SIZE): the frames share and fetch move are this big. */
const WRITE_BYTES = 1024 * 1024

const LOOPBACK_LISTEN = '/ip4/127.0.0.1/tcp/0'

async function startHost (listen = LOOPBACK_LISTEN): Promise<Host> {
  return await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [listen], bootstrap: [], mdns: false })
}

async function readAll (stream: Stream): Promise<number> {
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.byteLength
  return bytes
}

async function sink (listen: string): Promise<void> {
  const host = await startHost(listen)
  await host.handle(RAW_SINK_PROTOCOL, async (stream) => {
    try {
      const bytes = await readAll(stream)
      stream.send(new TextEncoder().encode(JSON.stringify({ bytes })))
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    }
  })
  process.stdout.write(`${JSON.stringify({ peerId: host.peerId.toString(), addresses: host.getMultiaddrs().map(a => a.toString()) })}\n`)
  await new Promise<void>(resolve => { process.once('SIGTERM', resolve) })
  await host.stop()
}

/** Send `total` bytes on a new stream and wait for the sink to confirm the count; returns the milliseconds taken. */
async function sendOnce (host: Host, target: Multiaddr, block: Uint8Array, total: number): Promise<number> {
  const started = performance.now()
  const stream = await host.dialProtocol(target, RAW_SINK_PROTOCOL)
  for (let sent = 0; sent < total; sent += WRITE_BYTES) {
    const chunk = total - sent >= WRITE_BYTES ? block : block.subarray(0, total - sent)
    stream.send(chunk)
    await drainBelow(stream, WRITE_HIGH_WATER, STREAM_IDLE_TIMEOUT_MS)
  }
  await stream.close() // our side only: the sink replies once it has seen the end
  const parts: Uint8Array[] = []
  for await (const chunk of stream) parts.push(chunk.subarray())
  const reply = JSON.parse(Buffer.concat(parts).toString()) as { bytes: number }
  const ms = performance.now() - started
  if (reply.bytes !== total) throw new Error(`the sink counted ${reply.bytes} bytes, sent ${total}`)
  return ms
}

async function send (address: string, total: number, warmUp: number): Promise<void> {
  const host = await startHost()
  const target = multiaddr(address)
  await host.dial(target)
  const block = pseudoRandomBytes(1, WRITE_BYTES)
  if (warmUp > 0) await sendOnce(host, target, block, warmUp)
  const ms = await sendOnce(host, target, block, total)
  process.stdout.write(`${JSON.stringify({ bytes: total, ms })}\n`)
  await host.stop()
}

// The same heap settings as the daemon: the baseline must not win on garbage collection alone.
tuneHeapForStreaming()
const [mode, address, bytes, warmUp] = process.argv.slice(2)
const run = mode === 'sink' ? sink(address ?? LOOPBACK_LISTEN) : mode === 'send' ? send(address, Number(bytes), Number(warmUp ?? 0)) : Promise.reject(new Error('usage: raw-stream-peer.ts sink [<multiaddr>] | send <multiaddr> <bytes> [<warm-up bytes>]'))
run.catch((err) => {
  process.stderr.write(`raw-stream-peer ${mode}: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
