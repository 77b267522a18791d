// The upload body of a share, held to the size announced before it started (the holders were told the geometry).
import { SizeMismatchError } from '../../coder/errors.ts'
import { isFillSource, type ByteSource, type FillSource } from '../../coder/stripe-reader.ts'

/** The upload body, checked against the size announced: more bytes, or an early end, is ERR_SIZE_MISMATCH before a
 *  block of the wrong size reaches a holder (which would answer ERR_PROTOCOL). */
export function exactly (body: ByteSource, size: number): ByteSource {
  return isFillSource(body) ? exactlyFilled(body, size) : exactlyStreamed(body, size)
}

async function * exactlyStreamed (body: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let seen = 0
  for await (const chunk of body) {
    seen += chunk.byteLength
    if (seen > size) throw tooLong(size, seen)
    yield chunk
  }
  if (seen < size) throw tooShort(size, seen)
}

function exactlyFilled (body: FillSource, size: number): FillSource {
  let seen = 0
  return {
    async readInto (target: Uint8Array): Promise<number> {
      const wanted = Math.min(target.byteLength, size - seen)
      const read = wanted > 0 ? await body.readInto(target.subarray(0, wanted)) : 0
      seen += read
      if (read < wanted) throw tooShort(size, seen)
      // At the announced end: one byte more is one too many (a file that grew since the client looked at it).
      if (read < target.byteLength && await body.readInto(new Uint8Array(1)) > 0) throw tooLong(size, seen + 1)
      return read
    }
  }
}

function tooLong (size: number, seen: number): SizeMismatchError {
  return new SizeMismatchError(`the upload has more than the ${size} bytes announced`, { expected: size, actual: seen })
}

function tooShort (size: number, seen: number): SizeMismatchError {
  return new SizeMismatchError(`the upload ended after ${seen} of the ${size} bytes announced`, { expected: size, actual: seen })
}
