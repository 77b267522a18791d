// What a reader names a file by: its CID (a plain file) or a capability (an encrypted one, docs/ENCRYPTION.md). The
// fetch service and the edge cache in front of it deal in the bytes as stored, by CID: ciphertext for an encrypted file,
// so neither a holder nor the cache ever has plaintext. Here the key is checked against the manifest before a byte is
// read, and the bytes are decrypted on their way out. Every reader goes through here: the control API (fetch, cat, the
// local fast path), the gateway's /f/ route, and mirror reads (which, naming files by CID, refuse encrypted ones).
import { isCapability, parseCapability, readingKey } from '../../coder/capability.ts'
import { cryptStream } from '../../coder/file-cipher.ts'
import type { ByteRange } from '../../coder/layout.ts'
import { parseCid, type Manifest } from '../../coder/manifest.ts'
import type { FetchStart } from './types.ts'

/** Where stored bytes come from: the fetch service, or the gateway's edge cache in front of it. */
export interface StoredFiles {
  /** The file's manifest, checked against its CID. */
  manifest (cid: string, options: { signal?: AbortSignal }): Promise<Manifest>
  /** The stored bytes, or only `range` of them; every block verified before it is yielded. */
  fetch (cid: string, options: { signal?: AbortSignal, range?: ByteRange }): Promise<FetchStart>
}

/** A file a reader may read: its CID, its manifest, and the key when it is encrypted (checked). */
export interface OpenedFile {
  cid: string
  manifest: Manifest
  key: Uint8Array | undefined
}

/**
 * Resolve `target`, a CID or a capability, and check the key before anything is read: an encrypted file named by CID is
 * ERR_KEY_REQUIRED, a wrong key ERR_WRONG_KEY, a capability of a plain file or one that does not parse
 * ERR_INVALID_CAPABILITY. Errors never carry the capability (it holds the key).
 */
export async function openFile (files: Pick<StoredFiles, 'manifest'>, target: string, options: { signal?: AbortSignal } = {}): Promise<OpenedFile> {
  const { cid, key } = isCapability(target) ? parseCapability(target) : { cid: parseCid(target).toString(), key: undefined }
  const manifest = await files.manifest(cid, options)
  return { cid, manifest, key: readingKey(cid, manifest, key) }
}

/** The file's bytes (or `range` of them), decrypted when it is encrypted: the CTR keystream starts at the range. An
 *  encrypted read has no `sha256` to check against (null): its manifest holds only the ciphertext's. */
export async function readOpened (files: Pick<StoredFiles, 'fetch'>, file: OpenedFile, options: { signal?: AbortSignal, range?: ByteRange } = {}): Promise<FetchStart> {
  const start = await files.fetch(file.cid, options)
  if (file.key === undefined) return start
  return { ...start, sha256: null, body: cryptStream(start.body, file.key, options.range?.start ?? 0) }
}

/** openFile, then readOpened. */
export async function readFile (files: StoredFiles, target: string, options: { signal?: AbortSignal, range?: ByteRange } = {}): Promise<FetchStart> {
  return await readOpened(files, await openFile(files, target, options), options)
}
