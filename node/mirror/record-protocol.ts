// The two record protocols' messages (docs/PROTOCOLS.md, "mirror-announce" and "mirror-records"): built and checked
// here, carried by transfer/'s generic one-request, one-answer plumbing (the shard server serves them with its
// limits; `request` dials them).
import { MAX_HEADER_FRAME, PROTOCOL_MIRROR_ANNOUNCE, PROTOCOL_MIRROR_RECORDS } from '../constants.ts'
import { request, type Dialer } from '../transfer/shard-client.ts'
import type { RequestProtocol } from '../transfer/shard-server.ts'
import { parseResponse } from '../wire/messages.ts'
import { decodeMessage, int, list, record, str } from '../wire/schema.ts'
import { parseVersionRecord, versionRecordMessage, type VersionRecord } from './version-record.ts'

/** Records in one announce: a publish announces one; a forwarder passes on what it just accepted. */
export const MAX_ANNOUNCED_RECORDS = 16
/** Addresses in a records request (the asker's digest) and records in an answer: a record is ~400 bytes on the wire,
 *  so 512 of them stay under 256 KiB, and a digest of 4096 addresses (RecordBook's bound) under 1 MiB. */
export const MAX_DIGEST_ADDRESSES = 4096
export const MAX_ANSWERED_RECORDS = 512

export function parseAnnounceRequest (frame: Uint8Array): VersionRecord[] {
  return list(decodeMessage(frame), 'records', MAX_ANNOUNCED_RECORDS, parseVersionRecord)
}

/** The asker's newest seq per address it holds. */
export function parseRecordsRequest (frame: Uint8Array): Map<string, number> {
  const have = list(decodeMessage(frame), 'have', MAX_DIGEST_ADDRESSES, (v) => {
    const m = record(v, 'digest entry')
    return [str(m, 'address', 256), int(m, 'seq', 0, Number.MAX_SAFE_INTEGER)] as const
  })
  return new Map(have)
}

export function parseRecordsResponse (frame: Uint8Array): VersionRecord[] {
  return list(parseResponse(frame), 'records', MAX_ANSWERED_RECORDS, parseVersionRecord)
}

/** Push version records to `peer`. */
export async function announceRecords (dial: Dialer, peer: string, records: VersionRecord[], signal?: AbortSignal): Promise<void> {
  parseResponse(await request(dial, peer, PROTOCOL_MIRROR_ANNOUNCE, { records: records.map(versionRecordMessage) }, MAX_HEADER_FRAME, signal))
}

/** Ask `peer` for the version records above `have` (this node's newest seq per address). */
export async function askRecords (dial: Dialer, peer: string, have: Map<string, number>, signal?: AbortSignal): Promise<VersionRecord[]> {
  return parseRecordsResponse(await request(dial, peer, PROTOCOL_MIRROR_RECORDS, { have: [...have].map(([address, seq]) => ({ address, seq })) }, MAX_HEADER_FRAME, signal))
}

/** What a node needs to serve the two protocols: records pushed by `from` (unverified: the book checks each), and
 *  the records a peer with digest `have` lacks. */
export interface RecordHandlers {
  announced (records: VersionRecord[], from: string): Promise<void>
  since (have: Map<string, number>, max: number): VersionRecord[]
}

export function recordProtocols (handlers: RecordHandlers): RequestProtocol[] {
  return [
    {
      protocol: PROTOCOL_MIRROR_ANNOUNCE,
      maxRequestBytes: MAX_HEADER_FRAME,
      answer: async (frame, from) => {
        await handlers.announced(parseAnnounceRequest(frame), from)
        return {}
      }
    },
    {
      protocol: PROTOCOL_MIRROR_RECORDS,
      maxRequestBytes: MAX_HEADER_FRAME,
      answer: async (frame) => ({ records: handlers.since(parseRecordsRequest(frame), MAX_ANSWERED_RECORDS).map(versionRecordMessage) })
    }
  ]
}
