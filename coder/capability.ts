// A capability: what reads an encrypted file (share --encrypt, docs/ENCRYPTION.md), after Tahoe-LAFS's read caps. It
// carries the CID (which covers the manifest, and so every ciphertext block's hash) and the file's key, and is not
// the CID: storage peers hold and serve the CID's shards without ever seeing the key. Form:
// `emcap1.<CID, base32>.<key, base32 lowercase, no padding>`, URL-safe, usable as a path segment and a CLI argument.
import { createHash } from 'node:crypto'
import { base32 } from 'multiformats/bases/base32'
import { FILE_KEY_BYTES } from './file-cipher.ts'
import { InvalidCapabilityError, KeyRequiredError, WrongKeyError } from './errors.ts'
import { isEncrypted, KEY_CHECK_LENGTH, parseCid, type Manifest } from './manifest.ts'
import { equalBytes } from './codec-support.ts'

/** The form's name and version: a new form gets a new prefix. */
export const CAPABILITY_PREFIX = 'emcap1'
/** Domain separation for the key check, so it is no other hash of the key anyone computes (docs/ENCRYPTION.md). */
const KEY_CHECK_DOMAIN = 'edgemirror/key-check/1\n'
/** base32 of a 32-byte key: ceil(256 / 5) = 52 characters (RFC 4648 §6, lowercase, unpadded). */
const KEY_TEXT = /^[a-z2-7]{52}$/
/** A CIDv1 raw sha2-256 in base32 is 59 characters; 200 bounds the work done on anything longer. */
const MAX_CAPABILITY_LENGTH = 200

export interface Capability {
  cid: string
  key: Uint8Array
}

/** Whether `text` is meant as a capability (it may still not parse): a CID never starts so. */
export function isCapability (text: string): boolean {
  return text.startsWith(`${CAPABILITY_PREFIX}.`)
}

export function encodeCapability ({ cid, key }: Capability): string {
  if (key.byteLength !== FILE_KEY_BYTES) throw new InvalidCapabilityError(`a key is ${FILE_KEY_BYTES} bytes`)
  return `${CAPABILITY_PREFIX}.${parseCid(cid).toString()}.${base32.baseEncode(key)}`
}

/** Parse strictly: the prefix, a canonical base32 CIDv1 of a manifest, a canonical 52-character key; nothing else. */
export function parseCapability (text: string): Capability {
  if (typeof text !== 'string' || text.length > MAX_CAPABILITY_LENGTH) throw new InvalidCapabilityError('too long')
  const parts = text.split('.')
  if (parts.length !== 3 || parts[0] !== CAPABILITY_PREFIX) throw new InvalidCapabilityError(`want ${CAPABILITY_PREFIX}.<cid>.<key>`)
  const [, cidText, keyText] = parts
  let cid: string
  try {
    cid = parseCid(cidText).toString()
  } catch {
    throw new InvalidCapabilityError('its CID part is not an edgemirror CID')
  }
  if (cid !== cidText) throw new InvalidCapabilityError('its CID part is not in base32')
  if (!KEY_TEXT.test(keyText)) throw new InvalidCapabilityError(`its key part is not ${FILE_KEY_BYTES} bytes of lowercase base32`)
  // 52 characters carry 260 bits: the last 4 must be zero, or two texts would name one key (the decoder refuses
  // them; the round trip makes sure).
  let key: Uint8Array
  try {
    key = base32.baseDecode(keyText)
  } catch {
    throw new InvalidCapabilityError('its key part is not canonical base32')
  }
  if (key.byteLength !== FILE_KEY_BYTES || base32.baseEncode(key) !== keyText) throw new InvalidCapabilityError('its key part is not canonical base32')
  return { cid, key }
}

/** The first 16 bytes of SHA-256("edgemirror/key-check/1\n" || key): recorded in the manifest, tells a wrong key. */
export function keyCheckOf (key: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(KEY_CHECK_DOMAIN).update(key).digest()
  return new Uint8Array(digest.subarray(0, KEY_CHECK_LENGTH))
}

/**
 * The key to read the file of `manifest` with, given what the reader named it by: none for a plain file named by CID;
 * the capability's key for an encrypted one, if it passes the key check. An encrypted file named by CID is
 * ERR_KEY_REQUIRED, a key that fails the check ERR_WRONG_KEY, a capability of a plain file ERR_INVALID_CAPABILITY.
 */
export function readingKey (cid: string, manifest: Manifest, key: Uint8Array | undefined): Uint8Array | undefined {
  if (!isEncrypted(manifest)) {
    if (key !== undefined) throw new InvalidCapabilityError(`${cid} is not encrypted: read it by its CID`)
    return undefined
  }
  if (key === undefined) throw new KeyRequiredError(cid)
  if (!equalBytes(keyCheckOf(key), manifest.encryption.keyCheck)) throw new WrongKeyError(cid)
  return key
}

/** What may go to a log for a file a reader named: a CID as it is, a capability without its key part. */
export function withoutKey (target: string): string {
  return isCapability(target) ? `${target.split('.').slice(0, 2).join('.').slice(0, 100)}.<key>` : target.slice(0, 100)
}
