// Reads length-prefixed frames from a libp2p v3 stream with a hard size limit, an idle timeout, and real
// backpressure. yamux grants window on receipt rather than on consumption, so a reader that only listens to
// 'message' events lets a fast sender fill memory; this reader pauses the stream above READ_HIGH_WATER buffered
// bytes (yamux then stops granting window and the sender blocks in onDrain) and resumes below half of it.
import type { Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { FRAME_LENGTH_BYTES, MIN_STREAM_BYTES_PER_SECOND, READ_HIGH_WATER, STREAM_IDLE_TIMEOUT_MS } from '../constants.ts'
import { FrameTooLargeError, ProtocolError, TimeoutError } from '../errors.ts'

const log = logger('edgemirror:frame-reader')

export interface FrameReaderOptions {
  highWater?: number
  /** Length of each progress window (default STREAM_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number
  /** In every window a waiting read must get what is missing of its frame, or this rate × the window, whichever is
   *  less (default MIN_STREAM_BYTES_PER_SECOND). */
  minBytesPerSecond?: number
}

export class FrameReader {
  private readonly chunks: Uint8Array[] = []
  private buffered = 0
  private ended = false
  private failure: Error | undefined
  private wake: (() => void) | undefined
  private readonly highWater: number
  private readonly idleTimeoutMs: number
  private readonly minBytesPerWindow: number
  /** Bytes received since the reader was created: progress is measured on this. */
  private received = 0
  /** discardRest() was called: whatever arrives from now on is dropped. */
  private discarding = false
  /** True while stream.resume() dispatches the bytes buffered during a pause (see resumeIfPaused). */
  private resuming = false
  /** Bytes the frame being read needs buffered (0 between frames). A frame larger than the high-water mark must not
   *  pause the stream before it is whole: a paused stream delivers nothing, so the reader would wait for bytes that
   *  cannot come (blocks may be up to MAX_BLOCK_SIZE, 16 MiB, above READ_HIGH_WATER). */
  private wanted = 0

  constructor (private readonly stream: Stream, options: FrameReaderOptions = {}) {
    this.highWater = options.highWater ?? READ_HIGH_WATER
    this.idleTimeoutMs = options.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS
    this.minBytesPerWindow = Math.max(1, Math.floor((options.minBytesPerSecond ?? MIN_STREAM_BYTES_PER_SECOND) * this.idleTimeoutMs / 1000))
    stream.addEventListener('message', (evt) => {
      if (this.discarding) return
      // A message is often a list of several chunks (a Noise message decrypted across TCP reads): keep the chunks
      // as they are, since subarray() would copy them into one new buffer only for take() to copy them again.
      if (evt.data instanceof Uint8Array) this.push(evt.data)
      else for (const chunk of evt.data) this.push(chunk)
      if (this.overHighWater() && stream.readStatus === 'readable' && !this.resuming) stream.pause()
      this.notify()
    })
    stream.addEventListener('remoteCloseWrite', () => { this.ended = true; this.notify() })
    stream.addEventListener('close', (evt) => {
      this.ended = true
      if (evt.error != null) this.failure ??= evt.error
      this.notify()
    })
  }

  /**
   * The next frame, at most `maxSize` bytes; null when the remote closed cleanly at a frame boundary.
   * A frame over the limit, a truncated frame, or a stall aborts the stream and throws.
   */
  async next (maxSize: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!(await this.fill(FRAME_LENGTH_BYTES, signal, true))) return null
    const header = this.take(FRAME_LENGTH_BYTES)
    const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0)
    if (length > maxSize) throw this.fail(new FrameTooLargeError(length, maxSize))
    // No edgemirror frame is empty (a message is a MessagePack map, a block has the geometry's size): refuse it here
    // with a code rather than let a caller trip over zero bytes.
    if (length === 0) throw this.fail(new ProtocolError('empty frame', { reason: 'empty-frame' }))
    if (!(await this.fill(length, signal, false))) throw this.fail(new ProtocolError(`stream ended inside a frame of ${length} bytes`, { reason: 'truncated' }))
    return this.take(length)
  }

  /** The next frame, which must exist. */
  async expect (maxSize: number, what: string, signal?: AbortSignal): Promise<Uint8Array> {
    const frame = await this.next(maxSize, signal)
    if (frame == null) throw this.fail(new ProtocolError(`stream ended before ${what}`))
    return frame
  }

  /**
   * Nothing more will be read: drop what is buffered and whatever still arrives, and close the read side (libp2p then
   * drops inbound data at the muxer). A handler that has read its request calls this, so a peer that keeps writing
   * costs us nothing but the bytes on the wire.
   */
  discardRest (): void {
    this.discarding = true
    this.chunks.length = 0
    this.buffered = 0
    this.wanted = 0
    if (this.stream.readStatus === 'closed' || this.stream.readStatus === 'closing') return
    this.stream.closeRead().catch((err: Error) => { log('closeRead failed: %s', err.message) })
  }

  private fail (err: Error): Error {
    this.failure ??= err
    this.stream.abort(err)
    return err
  }

  /**
   * Wait until `bytes` are buffered. False on end of stream (with nothing buffered when `atBoundary`).
   *
   * Progress is a minimum rate, not "any byte": in each window of idleTimeoutMs the stream must deliver what is still
   * missing or minBytesPerWindow, whichever is less, else the stream is aborted with ERR_TIMEOUT. The clock runs only
   * while we wait here, so our own slowness (a busy disk) is never blamed on the peer.
   */
  private async fill (bytes: number, signal: AbortSignal | undefined, atBoundary: boolean): Promise<boolean> {
    this.wanted = bytes
    let windowEnd = Date.now() + this.idleTimeoutMs
    let windowStart = this.received
    let required = Math.min(bytes - this.buffered, this.minBytesPerWindow)
    while (this.buffered < bytes) {
      this.resumeIfPaused(true) // we need bytes that are not here: the sender must be allowed to send them
      if (this.failure != null && this.buffered < bytes) throw this.failure
      if (this.ended) {
        if (atBoundary && this.buffered === 0) return false
        if (this.buffered < bytes) return false
      }
      signal?.throwIfAborted()
      const now = Date.now()
      if (now >= windowEnd) {
        const got = this.received - windowStart
        if (got < required) {
          throw this.fail(got === 0
            ? new TimeoutError('stream read', this.idleTimeoutMs)
            : new TimeoutError(`stream read at ${got} bytes per ${this.idleTimeoutMs} ms (at least ${required} wanted)`, this.idleTimeoutMs))
        }
        windowEnd = now + this.idleTimeoutMs
        windowStart = this.received
        required = Math.min(bytes - this.buffered, this.minBytesPerWindow)
      }
      await new Promise<void>((resolve, reject) => {
        const done = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); this.wake = undefined; resolve() }
        const timer = setTimeout(done, Math.max(0, windowEnd - now)) // the window's end is checked at the loop's top
        const onAbort = (): void => { clearTimeout(timer); this.wake = undefined; reject(this.fail(signal?.reason ?? new Error('aborted'))) }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.wake = done
      })
    }
    return true
  }

  /**
   * Never pause from inside resume(): @libp2p/utils' resume() dispatches the bytes held during the pause and only
   * then tells the muxer to grant window again, so a pause() during that dispatch is undone at once and the sender
   * fills the muxer's read buffer until it resets the stream (measured: 'Read buffer length of 8388628 exceeded
   * limit of 8388608, read status is paused' on 1 GiB fetches, docs/BENCHMARKS.md). Pause after it returns instead.
   */
  private resumeIfPaused (force: boolean): void {
    if (this.stream.readStatus !== 'paused' || !(force || this.buffered < this.highWater / 2)) return
    this.resuming = true
    try {
      this.stream.resume()
    } finally {
      this.resuming = false
    }
    // resume() changed readStatus; TypeScript's narrowing from the check above does not know that.
    if (this.overHighWater() && (this.stream.readStatus as string) === 'readable') this.stream.pause()
  }

  /** Time to pause: more than the high-water mark buffered, and the frame being read (if any) is whole. */
  private overHighWater (): boolean {
    return this.buffered > this.highWater && this.buffered >= this.wanted
  }

  private push (chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
    this.received += chunk.byteLength
  }

  private notify (): void {
    this.wake?.()
  }

  private take (bytes: number): Uint8Array {
    let out: Uint8Array
    const first = this.chunks[0]
    if (first.byteLength >= bytes) {
      out = first.subarray(0, bytes)
      if (first.byteLength === bytes) this.chunks.shift()
      else this.chunks[0] = first.subarray(bytes)
    } else {
      out = Buffer.allocUnsafe(bytes) // every byte is set below: zero-filling a 1 MiB block first is wasted work
      let offset = 0
      while (offset < bytes) {
        const chunk = this.chunks[0]
        const n = Math.min(chunk.byteLength, bytes - offset)
        out.set(chunk.subarray(0, n), offset)
        offset += n
        if (n === chunk.byteLength) this.chunks.shift()
        else this.chunks[0] = chunk.subarray(n)
      }
    }
    this.buffered -= bytes
    this.wanted = 0
    this.resumeIfPaused(false)
    return out
  }
}
