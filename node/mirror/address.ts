// Mirror-set addresses: PEERID/NAME names a set (its publisher's peer id and the name it chose), and a target adds a
// version and a path: PEERID/NAME[@SEQ][/PATH]. docs/MIRRORS.md, "Addresses".
import { base58btc } from 'multiformats/bases/base58'
import { InvalidAddressError } from '../errors.ts'

/** A set name: a letter or digit, then letters, digits, '.', '_' or '-'; short enough for a path segment and a log
 *  line. No '/' or '@' (they delimit targets), no leading '.' (never a hidden or relative path on disk). */
export const MIRROR_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export interface MirrorTarget {
  publisher: string
  name: string
  /** PEERID/NAME */
  address: string
  /** A version, or undefined for the newest. */
  seq?: number
  /** '' for the root, else a relative path without leading or trailing '/'. */
  path: string
}

export function addressOf (publisher: string, name: string): string {
  return `${publisher}/${name}`
}

export function assertMirrorName (name: string, text = name): void {
  if (!MIRROR_NAME_PATTERN.test(name)) throw new InvalidAddressError(text, `the name must match ${MIRROR_NAME_PATTERN.source}`)
}

/**
 * An Ed25519 peer id's bytes: the identity multihash (code 0x00, length 36) of the protobuf PublicKey { Type = Ed25519
 * (field 1, value 1), Data = 32 bytes (field 2) }: the peer id carries the key itself (libp2p specs, peer-ids.md,
 * "Inlining"). Checked by hand rather than with @libp2p/peer-id, whose loading (libp2p's crypto) was a third of every
 * CLI start, and every verb that takes an address parses one.
 */
const ED25519_PEER_ID_PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])
const ED25519_KEY_BYTES = 32

/** A publisher is named by a peer id that carries its key (Ed25519), in its usual text form (base58btc, 12D3KooW…):
 *  records are checked against it alone. */
export function assertPublisherId (publisher: string, text = publisher): void {
  if (!isEd25519PeerId(publisher)) {
    throw new InvalidAddressError(text, `${JSON.stringify(publisher.slice(0, 80))} is not a publisher's peer id (an Ed25519 peer id in base58btc, 12D3KooW…)`)
  }
}

function isEd25519PeerId (text: string): boolean {
  if (text.length > 64) return false // 38 bytes are 52 base58 characters
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(text)
  } catch {
    return false
  }
  return bytes.byteLength === ED25519_PEER_ID_PREFIX.byteLength + ED25519_KEY_BYTES && ED25519_PEER_ID_PREFIX.every((b, i) => bytes[i] === b)
}

/** Parse PEERID/NAME[@SEQ][/PATH]. The peer id must be one that carries its key (Ed25519): records are signed with it. */
export function parseMirrorTarget (text: string): MirrorTarget {
  if (text.length > 4096) throw new InvalidAddressError(text, 'over 4096 characters')
  const [publisher, nameAndSeq, ...rest] = text.split('/')
  if (publisher === undefined || nameAndSeq === undefined || nameAndSeq === '') throw new InvalidAddressError(text, 'expected PEERID/NAME[@SEQ][/PATH]')
  assertPublisherId(publisher, text)
  const at = nameAndSeq.indexOf('@')
  const name = at === -1 ? nameAndSeq : nameAndSeq.slice(0, at)
  assertMirrorName(name, text)
  let seq: number | undefined
  if (at !== -1) {
    const digits = nameAndSeq.slice(at + 1)
    if (!/^[1-9][0-9]{0,15}$/.test(digits) || !Number.isSafeInteger(Number(digits))) throw new InvalidAddressError(text, 'the version after @ must be a positive integer')
    seq = Number(digits)
  }
  const path = rest.filter(s => s !== '').join('/')
  if (rest.some(s => s === '.' || s === '..')) throw new InvalidAddressError(text, "a path cannot hold '.' or '..' segments")
  return { publisher, name, address: addressOf(publisher, name), seq, path }
}

/** Parse a bare PEERID/NAME (follow, unfollow, versions): no version, no path. */
export function parseMirrorAddress (text: string): MirrorTarget {
  const target = parseMirrorTarget(text)
  if (target.seq !== undefined || target.path !== '') throw new InvalidAddressError(text, 'expected PEERID/NAME (no @SEQ, no path)')
  return target
}
