// Mirror-set addresses: PEERID/NAME names a set (its publisher's peer id and the name it chose), and a target adds a
// version and a path: PEERID/NAME[@SEQ][/PATH]. docs/MIRRORS.md, "Addresses".
import { peerIdFromString } from '@libp2p/peer-id'
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

/** A publisher is named by a peer id that carries its key (Ed25519): records are checked against it alone. */
export function assertPublisherId (publisher: string, text = publisher): void {
  try {
    const key = peerIdFromString(publisher).publicKey
    if (key?.type !== 'Ed25519') throw new Error('not an Ed25519 peer id')
  } catch (err) {
    throw new InvalidAddressError(text, `${JSON.stringify(publisher.slice(0, 80))} is not a publisher's peer id (${(err as Error).message})`)
  }
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
