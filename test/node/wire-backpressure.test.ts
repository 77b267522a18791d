// FrameWriter and FrameReader over real libp2p streams between two hosts on loopback: a receiver that stops reading
// must stop the sender (its write buffer stays bounded, and the write that cannot proceed times out), rather than the
// sender queueing every block it has in memory; and a frame larger than the reader's high-water mark still arrives
// (a reader that paused before the frame was whole would wait forever for bytes a paused stream never delivers).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { WRITE_HIGH_WATER } from '../../node/constants.ts'
import { createHost, type Host } from '../../node/host.ts'
import { FrameReader } from '../../node/wire/frame-reader.ts'
import { FrameWriter } from '../../node/wire/frame-writer.ts'

const PROTOCOL = '/edgemirror-test/sink/1.0.0'
const BIG_PROTOCOL = '/edgemirror-test/big-frames/1.0.0'
/** Frames twice the reader's high-water mark below, as a share with --block-size 8 MiB sends against the default. */
const BIG_FRAME = 2 * 1024 * 1024
const SMALL_HIGH_WATER = 1024 * 1024
const FRAME = 1024 * 1024
/** Frames the receiver takes before it stops reading: enough window updates that 'drain' has fired many times. */
const READ_THEN_STOP = 8
const ATTEMPTS = 64
/** Frames that can be in flight once the receiver stops: its reader's buffer and yamux window (4 MiB each,
 *  node/constants.ts), our write buffer, and slack. Without backpressure all ATTEMPTS complete. */
const MOST_IN_FLIGHT = 16

describe('wire backpressure', () => {
  let sender: Host
  let receiver: Host
  const held: Stream[] = []

  before(async () => {
    const options = { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false }
    sender = await createHost({ ...options, privateKey: await generateKeyPair('Ed25519') })
    receiver = await createHost({ ...options, privateKey: await generateKeyPair('Ed25519') })
    await receiver.handle(PROTOCOL, async (stream) => {
      held.push(stream)
      const reader = new FrameReader(stream, { idleTimeoutMs: 60_000 })
      for (let i = 0; i < READ_THEN_STOP; i++) await reader.expect(FRAME, 'frame')
      // ...and never read again: the stream stays open, the sender must wait.
    })
    await receiver.handle(BIG_PROTOCOL, async (stream) => {
      held.push(stream)
      const reader = new FrameReader(stream, { highWater: SMALL_HIGH_WATER, idleTimeoutMs: 5_000 })
      const sizes: number[] = []
      for (let frame = await reader.next(BIG_FRAME); frame !== null; frame = await reader.next(BIG_FRAME)) sizes.push(frame.byteLength)
      await new FrameWriter(stream).write(new TextEncoder().encode(JSON.stringify(sizes)))
      await stream.close()
    })
  })

  after(async () => {
    for (const s of held) s.abort(new Error('test over'))
    await sender?.stop()
    await receiver?.stop()
  })

  it('blocks a sender whose receiver stopped reading, with a bounded write buffer', async () => {
    const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
    const writer = new FrameWriter(stream, 1000)
    const frame = new Uint8Array(FRAME).fill(7)
    let written = 0
    let largestBuffer = 0
    const outcome = await (async () => {
      for (; written < ATTEMPTS; written++) {
        await writer.write(frame)
        largestBuffer = Math.max(largestBuffer, stream.writeBufferLength)
      }
      return 'all written'
    })().catch((err: Error & { code?: string }) => err.code)
    stream.abort(new Error('test over'))
    assert.equal(outcome, 'ERR_TIMEOUT', `the writer stopped after ${written} frames`)
    assert.ok(written >= READ_THEN_STOP, `what the receiver read got through (${written})`)
    assert.ok(written <= MOST_IN_FLIGHT + READ_THEN_STOP, `${written} frames were accepted with the receiver stopped`)
    assert.ok(largestBuffer <= WRITE_HIGH_WATER + FRAME, `write buffer reached ${largestBuffer} bytes`)
  })

  it('reads frames larger than its high-water mark', async () => {
    const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], BIG_PROTOCOL)
    const writer = new FrameWriter(stream)
    const reader = new FrameReader(stream)
    for (let i = 0; i < 6; i++) await writer.write(new Uint8Array(BIG_FRAME).fill(i))
    await stream.close()
    const reply = await reader.expect(1024, 'reply')
    assert.deepEqual(JSON.parse(new TextDecoder().decode(reply)), Array(6).fill(BIG_FRAME))
  })
})
