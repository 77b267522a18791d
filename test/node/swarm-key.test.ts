// The xsalsa20 package under pnet grows one shared WebAssembly memory and leaves other ciphers with stale views of it:
// mixed large writes on several connections ended in "Maximum memory size exceeded". splitLargeXsalsa20Updates() keeps
// every update below the memory's initial size; the cipher stream stays the same whatever the pieces.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { splitLargeXsalsa20Updates } from '../../node/swarm-key.ts'

type Cipher = { update: (input: Uint8Array) => Uint8Array }
const XSalsa20 = createRequire(import.meta.resolve('@libp2p/pnet'))('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => Cipher

describe('xsalsa20 under pnet', () => {
  it('six ciphers and mixed 0.2–2 MB writes: no runaway memory growth, and the same stream as small pieces', () => {
    splitLargeXsalsa20Updates()
    const nonce = Uint8Array.from({ length: 24 }, (_, i) => i)
    const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
    const ciphers = Array.from({ length: 6 }, () => XSalsa20(nonce, key))
    const reference = XSalsa20(nonce, key)
    for (let round = 0; round < 200; round++) {
      for (const [i, cipher] of ciphers.entries()) {
        const input = new Uint8Array(((round * 7 + i * 13) % 10 + 1) * 200_000).fill(round & 0xff)
        const out = cipher.update(input)
        if (i === 0) {
          // The first cipher's stream, computed again in 64 KiB pieces by a cipher that never needs the split.
          const expected = new Uint8Array(input.byteLength)
          for (let at = 0; at < input.byteLength; at += 65536) expected.set(reference.update(input.subarray(at, at + 65536)), at)
          assert.ok(Buffer.from(out).equals(Buffer.from(expected)), `round ${round}`)
        }
      }
    }
  })
})
