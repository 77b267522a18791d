// AES-256-CTR over a file (coder/file-cipher.ts): a round trip, and any range decrypted on its own (seek) gives the
// plaintext of that range, which is what range reads and the gateway's Range rely on.
import assert from 'node:assert/strict'
import { createCipheriv } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { cryptSource, cryptStream, FILE_KEY_BYTES, FileCipher } from '../../coder/file-cipher.ts'
import { isFillSource, type FillSource } from '../../coder/stripe-reader.ts'
import { chunked, concat, pseudoRandomBytes } from './helpers.ts'

async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return concat(parts)
}

const KEY = pseudoRandomBytes(7, FILE_KEY_BYTES)

describe('file cipher', () => {
  it('is AES-256-CTR with a zero IV from byte 0 (the reference: one node:crypto cipher over the whole input)', () => {
    const plain = pseudoRandomBytes(3, 1000)
    const reference = createCipheriv('aes-256-ctr', KEY, Buffer.alloc(16)).update(plain)
    assert.deepEqual(Buffer.from(new FileCipher(KEY).update(plain)), reference)
  })

  it('round trips through any chunking, and the ciphertext is not the plaintext', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 700 }), async (size, inChunk, outChunk) => {
      const plain = pseudoRandomBytes(size + 1, size)
      const cipher = await collect(cryptStream(chunked(plain, inChunk), KEY))
      assert.equal(cipher.byteLength, size)
      if (size >= 16) assert.notDeepEqual(cipher, plain)
      assert.deepEqual(await collect(cryptStream(chunked(cipher, outChunk), KEY)), plain)
    }), { numRuns: 100 })
  })

  it('encrypts a source read into its buffers (a file the daemon reads itself) as it encrypts the same bytes streamed', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 700 }), async (size, read) => {
      const plain = pseudoRandomBytes(size + 3, size)
      let offset = 0
      const fill: FillSource = {
        async readInto (target) {
          const n = Math.min(read, target.byteLength, size - offset)
          target.set(plain.subarray(offset, offset + n))
          offset += n
          return n
        }
      }
      const encrypted = cryptSource(fill, KEY)
      assert.ok(isFillSource(encrypted))
      const parts: Uint8Array[] = []
      for (let n = -1; n !== 0;) {
        const buffer = new Uint8Array(read)
        n = await encrypted.readInto(buffer)
        parts.push(buffer.subarray(0, n))
      }
      assert.deepEqual(concat(parts), await collect(cryptStream(chunked(plain, 100), KEY)))
    }), { numRuns: 60 })
  })

  it('decrypts any range on its own, starting the counter at offset / 16 and skipping offset % 16 bytes', async () => {
    const plain = pseudoRandomBytes(11, 10_000)
    const cipher = new FileCipher(KEY).update(plain)
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 333 }), async (a, b, chunk) => {
      const [start, end] = a <= b ? [a, b] : [b, a]
      const part = await collect(cryptStream(chunked(cipher.subarray(start, end), chunk), KEY, start))
      assert.deepEqual(part, plain.subarray(start, end))
    }), { numRuns: 200 })
  })

  it('seek moves the keystream: decrypting two ranges with one cipher', () => {
    const plain = pseudoRandomBytes(12, 4096)
    const cipher = new FileCipher(KEY).update(plain)
    const reader = new FileCipher(KEY, 4000)
    assert.deepEqual(Buffer.from(reader.update(cipher.subarray(4000, 4096))), Buffer.from(plain.subarray(4000, 4096)))
    reader.seek(17)
    assert.deepEqual(Buffer.from(reader.update(cipher.subarray(17, 50))), Buffer.from(plain.subarray(17, 50)))
  })

  it('another key gives other bytes; a key of the wrong size or a bad offset is refused', () => {
    const plain = pseudoRandomBytes(13, 64)
    assert.notDeepEqual(new FileCipher(pseudoRandomBytes(8, 32)).update(plain), new FileCipher(KEY).update(plain))
    assert.throws(() => new FileCipher(new Uint8Array(16)), { code: 'ERR_INVALID_PARAMETERS' })
    assert.throws(() => new FileCipher(KEY, -1), { code: 'ERR_INVALID_PARAMETERS' })
    assert.throws(() => new FileCipher(KEY, 1.5), { code: 'ERR_INVALID_PARAMETERS' })
  })
})
