// Writes length-prefixed frames to a libp2p v3 stream, and waits whenever more than WRITE_HIGH_WATER bytes sit in the
// stream's write buffer, so a slow receiver slows the sender instead of growing our memory.
//
// Why not `await stream.onDrain()`: in @libp2p/utils 7.4.1 (abstract-message-stream.js) the promise onDrain() hands
// out is resolved by the first 'drain' event and never replaced, so every later onDrain() returns at once. yamux
// fires 'drain' on every window update, however small; after the first one a sender that trusts onDrain() queues
// blocks as fast as it can read them (measured: 100+ MiB in one get stream's write buffer serving a 512 MiB shard,
// and a daemon past 1 GiB RSS at 4 GiB, docs/BENCHMARKS.md). The buffer length is the truth, so wait on that.
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { FRAME_LENGTH_BYTES, STREAM_IDLE_TIMEOUT_MS, WRITE_HIGH_WATER } from '../constants.ts'
import { TimeoutError } from '../errors.ts'

export class FrameWriter {
  constructor (private readonly stream: Stream, private readonly idleTimeoutMs = STREAM_IDLE_TIMEOUT_MS) {}

  async write (frame: Uint8Array, signal?: AbortSignal): Promise<void> {
    const header = new Uint8Array(FRAME_LENGTH_BYTES)
    new DataView(header.buffer).setUint32(0, frame.byteLength)
    // One send, no copy: two sends made the 4-byte prefix a yamux frame and a Noise message of its own, and the
    // receiver answered it with a window update (receivers' CPU per shard ~7 % lower, A/B at 1 GiB RS(4,2)).
    this.stream.send(new Uint8ArrayList(header, frame))
    await drainBelow(this.stream, WRITE_HIGH_WATER, this.idleTimeoutMs, signal)
  }
}

/** Wait until at most `highWater` bytes sit in the stream's write buffer (see above for why not onDrain()). */
export async function drainBelow (stream: Stream, highWater: number, idleTimeoutMs: number, signal?: AbortSignal): Promise<void> {
  while (stream.writeBufferLength > highWater) await progress(stream, idleTimeoutMs, signal)
}

/**
 * Wait until the stream sends something (a 'drain' from a window update, 'idle' once the buffer is empty), it closes
 * (throws), the signal aborts, or nothing moves for the idle timeout. After a 'drain' the stream sends in a microtask
 * of its own, so the caller's check of the buffer length comes after that.
 */
async function progress (stream: Stream, idleTimeoutMs: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  if (stream.writeStatus !== 'writable') throw new Error(`cannot write to a stream that is ${stream.writeStatus}`)
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer)
      stream.removeEventListener('drain', moved)
      stream.removeEventListener('idle', moved)
      stream.removeEventListener('close', closed)
      signal?.removeEventListener('abort', aborted)
      if (err !== undefined) reject(err)
      else setImmediate(resolve)
    }
    const moved = (): void => { done() }
    const closed = (evt: Event): void => { done((evt as Event & { error?: Error }).error ?? new Error('the stream closed while a write was waiting')) }
    const aborted = (): void => { done(signal?.reason instanceof Error ? signal.reason : new Error('aborted')) }
    const timer = setTimeout(() => { done(new TimeoutError('stream write', idleTimeoutMs)) }, idleTimeoutMs)
    stream.addEventListener('drain', moved)
    stream.addEventListener('idle', moved)
    stream.addEventListener('close', closed)
    signal?.addEventListener('abort', aborted, { once: true })
  })
}
