// What `fetch` and `cat` check in the bytes they receive, and what they may then claim (docs/MANIFEST.md, "Integrity
// on read"). The daemon verified every data block, read or rebuilt, against the manifest; here the CLI checks that the
// file's size arrived, and with --sha256 recomputes the whole file's SHA-256 and compares it with the manifest's. Without
// --sha256 nothing hashes the file a second time (issue #18, decision 2), so the manifest's SHA-256 is reported as the
// manifest's claim and never as a computed value. An encrypted file's manifest holds only the ciphertext's SHA-256
// (docs/ENCRYPTION.md): there is no claim about the plaintext (manifestSha256 null), so --sha256 computes the hash of
// what was written and reports it, but compares it with nothing, and `verified` stays 'blocks'.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { HashMismatchError, SizeMismatchError } from '../../coder/errors.ts'

/** What was checked: the blocks (always, by the daemon), and the whole file's SHA-256 when --sha256 asked for it. */
export type Verified = 'blocks' | 'blocks+sha256'

export interface CheckResult {
  verified: Verified
  /** The file's SHA-256 as the manifest records it (computed once, by the sharer); null for an encrypted file. */
  manifestSha256: string | null
  /** The SHA-256 of the bytes received, only when it was computed (--sha256); compared with manifestSha256 when that
   *  is not null. */
  sha256?: string
}

export interface FetchCheck {
  /** A pass-through that hashes what flows through it, or undefined when no hash is asked for (nothing to add). */
  stream: Transform | undefined
  /**
   * Once the body has ended: `bytes` received against the manifest's `size`, and with --sha256 the hash against
   * `manifestSha256`. Throws ERR_SIZE_MISMATCH or ERR_HASH_MISMATCH.
   */
  verify (expected: ExpectedFile, bytes: number): CheckResult
}

/** What the daemon said the file is: its size, and the manifest's SHA-256 of it (null for an encrypted file). */
export interface ExpectedFile { cid: string, size: number, manifestSha256: string | null }

export function fetchCheck (options: { sha256: boolean }): FetchCheck {
  const hash = options.sha256 ? createHash('sha256') : undefined
  const stream = hash === undefined ? undefined : new Transform({ transform (chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk) } })
  return {
    stream,
    verify ({ cid, size, manifestSha256 }, bytes) {
      if (bytes !== size) throw new SizeMismatchError(`received ${bytes} bytes, the manifest says ${size}`, { cid, bytes, size })
      if (hash === undefined) return { verified: 'blocks', manifestSha256 }
      const sha256 = hash.digest('hex')
      if (manifestSha256 === null) return { verified: 'blocks', manifestSha256, sha256 }
      if (sha256 !== manifestSha256) throw new HashMismatchError(`the file's SHA-256 is ${sha256}, the manifest says ${manifestSha256}`, { cid, sha256, manifestSha256 })
      return { verified: 'blocks+sha256', manifestSha256, sha256 }
    }
  }
}

/** The same check of a file the daemon wrote itself (the local fast path): its size, and with --sha256 one read pass
 *  that hashes it. */
export async function checkWrittenFile (path: string, expected: ExpectedFile, options: { sha256: boolean }): Promise<CheckResult> {
  const check = fetchCheck(options)
  if (check.stream === undefined) return check.verify(expected, (await stat(path)).size)
  let bytes = 0
  const counting = new Writable({ write (chunk: Buffer, _e, cb) { bytes += chunk.byteLength; cb() } })
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), check.stream, counting)
  return check.verify(expected, bytes)
}
