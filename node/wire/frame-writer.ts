// Writes length-prefixed frames to a libp2p v3 stream, waiting for 'drain' whenever send() reports a full buffer,
// so a slow receiver slows the sender instead of growing our memory.
import type { Stream } from '@libp2p/interface'
import { FRAME_LENGTH_BYTES, STREAM_IDLE_TIMEOUT_MS } from '../constants.ts'

export class FrameWriter {
  constructor (private readonly stream: Stream, private readonly idleTimeoutMs = STREAM_IDLE_TIMEOUT_MS) {}

  async write (frame: Uint8Array, signal?: AbortSignal): Promise<void> {
    const header = new Uint8Array(FRAME_LENGTH_BYTES)
    new DataView(header.buffer).setUint32(0, frame.byteLength)
    this.stream.send(header)
    if (!this.stream.send(frame)) {
      const timeout = AbortSignal.timeout(this.idleTimeoutMs)
      await this.stream.onDrain({ signal: signal != null ? AbortSignal.any([signal, timeout]) : timeout })
    }
  }
}
