// Error codes from issue #13 item 9: every failure a user can meet has a specific code, never ERR_INTERNAL or a
// TypeError's message.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Stream } from '@libp2p/interface'
import { classifyError, NotEnoughPeersError } from '../../node/errors.ts'
import { FrameReader } from '../../node/wire/frame-reader.ts'
import { parseGetRequest } from '../../node/wire/messages.ts'
import { encodeMessage } from '../../node/wire/schema.ts'

/** Just enough of a libp2p stream for a FrameReader: delivers `bytes`, then ends. */
function streamOf (bytes: Uint8Array): Stream {
  const target = new EventTarget() as EventTarget & Record<string, unknown>
  Object.assign(target, { readStatus: 'readable', pause () {}, resume () {}, abort () {} })
  queueMicrotask(() => {
    const message = new Event('message') as Event & { data: Uint8Array }
    message.data = bytes
    target.dispatchEvent(message)
    target.dispatchEvent(new Event('remoteCloseWrite'))
  })
  return target as unknown as Stream
}

describe('error codes', () => {
  it('a zero-length frame is ERR_PROTOCOL, not a TypeError', async () => {
    await assert.rejects(new FrameReader(streamOf(new Uint8Array(4))).expect(1024, 'request'), { code: 'ERR_PROTOCOL' })
  })

  it('get refuses a fractional `to`', () => {
    assert.throws(() => parseGetRequest(encodeMessage({ cid: 'bafy', index: 0, from: 0, to: 1.5 })), { code: 'ERR_PROTOCOL' })
    assert.equal(parseGetRequest(encodeMessage({ cid: 'bafy', index: 0, from: 0, to: 2 })).to, 2)
  })

  it('timeouts, peers that went away and file system errors get their own codes, with the peer named', () => {
    const timeout = classifyError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'peerA') as any
    assert.equal(timeout.code, 'ERR_TIMEOUT')
    assert.match(timeout.message, /peerA/)
    const reset = Object.assign(new Error('the stream was reset'), { name: 'StreamResetError' })
    const gone = classifyError(reset, 'peerB') as any
    assert.equal(gone.code, 'ERR_PEER_UNAVAILABLE')
    assert.equal(gone.details.peer, 'peerB')
    for (const errno of ['EISDIR', 'EPERM', 'EACCES', 'EROFS']) {
      const err = Object.assign(new Error(`${errno}: nope, open '/x'`), { code: errno, path: '/x' })
      assert.equal((classifyError(err) as any).code, 'ERR_FILE_ACCESS')
    }
    assert.equal((classifyError(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' })) as any).code, 'ERR_DISK_FULL')
  })

  it('too few peers names the flag of the verb that has it', () => {
    assert.match(new NotEnoughPeersError(2, 3).message, /--allow-fewer-peers/)
    assert.doesNotMatch(new NotEnoughPeersError(2, 3, {}, 'repair places one shard per peer').message, /--allow-fewer-peers/)
  })
})
