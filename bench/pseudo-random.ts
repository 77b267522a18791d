// Deterministic pseudo-random bytes, generated chunk by chunk so a benchmark or test can stream gigabytes without
// holding them: AES-128-CTR over zeros, keyed by the seed (AES-NI makes it several GB/s, faster than the coder it
// feeds; incompressible, so no codec or disk can shortcut it).
import { createCipheriv, createHash } from 'node:crypto'

const GENERATOR_CHUNK = 1024 * 1024

function cipherFor (seed: number): ReturnType<typeof createCipheriv> {
  const key = createHash('sha256').update(`edgemirror-bench-${seed}`).digest().subarray(0, 16)
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
}

/** `size` bytes for `seed`, as chunks of at most `chunkSize` bytes; the same seed gives the same bytes whatever the chunk size. */
export async function * pseudoRandomStream (seed: number, size: number, chunkSize = GENERATOR_CHUNK): AsyncGenerator<Uint8Array> {
  const cipher = cipherFor(seed)
  const zeros = Buffer.alloc(Math.min(chunkSize, Math.max(size, 1)))
  for (let done = 0; done < size;) {
    const take = Math.min(chunkSize, size - done)
    const out = cipher.update(take === zeros.byteLength ? zeros : zeros.subarray(0, take))
    done += take
    yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }
}

export function pseudoRandomBytes (seed: number, size: number): Uint8Array {
  const out = cipherFor(seed).update(Buffer.alloc(size))
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
