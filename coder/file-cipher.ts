// AES-256-CTR over a file's bytes (share --encrypt, docs/ENCRYPTION.md). CTR makes AES a keystream XORed with the
// bytes, so byte i depends only on the key and i: a read can start anywhere (a range, the gateway's Range) by starting
// the counter at block floor(i / 16) and dropping i % 16 bytes of keystream. Encrypting and decrypting are the same
// operation. The IV (the counter's start) is all zeros: safe only because a key encrypts exactly one plaintext (a fresh
// random key per share, never derived from the content: no convergent encryption). node:crypto uses AES-NI.
import { createCipheriv, type Cipher } from 'node:crypto'
import { InvalidParametersError } from './errors.ts'
import { isFillSource, type ByteSource } from './stripe-reader.ts'

/** AES-256: a 32-byte key (FIPS 197). */
export const FILE_KEY_BYTES = 32
/** The AES block, so the CTR counter's step, in bytes (FIPS 197). */
const AES_BLOCK_BYTES = 16

/** A CTR keystream over one file, positioned at a byte offset; update() encrypts (or decrypts) the bytes from there on. */
export class FileCipher {
  private cipher: Cipher

  constructor (private readonly key: Uint8Array, offset = 0) {
    if (!(key instanceof Uint8Array) || key.byteLength !== FILE_KEY_BYTES) throw new InvalidParametersError(`a file key is ${FILE_KEY_BYTES} bytes`)
    this.cipher = this.cipherAt(offset)
  }

  /** Continue from byte `offset` of the file instead. */
  seek (offset: number): void {
    this.cipher = this.cipherAt(offset)
  }

  /** The next bytes, encrypted (or decrypted): as many as given. */
  update (bytes: Uint8Array): Uint8Array {
    return this.cipher.update(bytes)
  }

  private cipherAt (offset: number): Cipher {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidParametersError(`a cipher offset is a byte position, got ${offset}`)
    // The counter block: big-endian block number (a safe integer fits the low 8 bytes; OpenSSL carries into the rest).
    const counter = Buffer.alloc(AES_BLOCK_BYTES)
    counter.writeBigUInt64BE(BigInt(Math.floor(offset / AES_BLOCK_BYTES)), 8)
    const cipher = createCipheriv('aes-256-ctr', this.key, counter)
    const skip = offset % AES_BLOCK_BYTES
    if (skip > 0) cipher.update(Buffer.alloc(skip))
    return cipher
  }
}

/** `source` (the file's bytes from byte `offset` on) encrypted, or decrypted, chunk by chunk as it is pulled. */
export async function * cryptStream (source: AsyncIterable<Uint8Array>, key: Uint8Array, offset = 0): AsyncGenerator<Uint8Array> {
  const cipher = new FileCipher(key, offset)
  for await (const chunk of source) yield cipher.update(chunk)
}

/** A share's `source` encrypted as it is read: a stream chunk by chunk, a FillSource in the buffer it just filled. */
export function cryptSource (source: ByteSource, key: Uint8Array): ByteSource {
  if (!isFillSource(source)) return cryptStream(source, key)
  const cipher = new FileCipher(key)
  return {
    async readInto (target: Uint8Array): Promise<number> {
      const read = await source.readInto(target)
      if (read > 0) target.set(cipher.update(target.subarray(0, read)))
      return read
    }
  }
}
