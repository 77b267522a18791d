// SHA-256 from node:crypto (uses the CPU's SHA extensions: ~1.8 GB/s on this machine, see bench/coder.ts).
import { createHash, type Hash } from 'node:crypto'
import { HASH_LENGTH } from './constants.ts'
import { equalBytes } from './codec-support.ts'

export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

export function createSha256 (): Hash {
  return createHash('sha256')
}

/** The 32-byte hash at position `i` of a packed hash list. */
export function hashAt (list: Uint8Array, i: number): Uint8Array {
  return list.subarray(i * HASH_LENGTH, (i + 1) * HASH_LENGTH)
}

export function blockMatches (block: Uint8Array, list: Uint8Array, i: number): boolean {
  return equalBytes(sha256(block), hashAt(list, i))
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
