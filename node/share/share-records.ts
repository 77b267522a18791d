// What this node knows of the files it shared and the manifest no longer says (version 2 manifests hold only the
// bytes and their coding, so that a file has one CID however often it is shared): the name it was shared under and
// when. One small JSON file per CID in <repo>/shares/, written crash-safely; read as untrusted input (bounded, schema
// checked), and a bad one is skipped, not fatal. Layout: docs/STORAGE.md, "Share records".
import { constants } from 'node:fs'
import { mkdir, open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { CODEC_ID_PATTERN, manifestName, sanitizeFileName, type Manifest } from '../../coder/manifest.ts'
import { writeFileAtomic } from '../fs-atomic.ts'
import { assertValidCid, CID_PATTERN } from '../store/shard-store.ts'

const log = logger('edgemirror:share-records')

/** A record is ~300 bytes; 4 KiB leaves room for a 255-byte name escaped six times over and refuses anything else. */
export const MAX_SHARE_RECORD_BYTES = 4096

export interface ShareRecord {
  cid: string
  /** Sanitized (coder/manifest.ts sanitizeFileName); null when the sharer gave none. */
  name: string | null
  size: number
  k: number
  m: number
  codec: string
  blockSize: number
  /** Milliseconds since the Unix epoch, of the latest share of these bytes by this node. */
  sharedAt: number
}

export class ShareRecords {
  constructor (private readonly dir: string) {}

  /** Write (or replace: a re-share under another name keeps the latest name and time) the record of `record.cid`. */
  async put (record: ShareRecord): Promise<void> {
    const checked = parseShareRecord(record)
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(this.pathOf(checked.cid), JSON.stringify(checked), 0o600)
  }

  /** The record of `cid`, or undefined when this node did not share it (or its record is unreadable: logged). */
  async get (cid: string): Promise<ShareRecord | undefined> {
    assertValidCid(cid)
    return await this.read(cid)
  }

  /** Every readable record, sorted by CID. */
  async list (): Promise<ShareRecord[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return []; throw err })
    const cids = names.flatMap(n => n.endsWith('.json') && CID_PATTERN.test(n.slice(0, -5)) ? [n.slice(0, -5)] : []).sort()
    const records = await Promise.all(cids.map(async cid => await this.read(cid)))
    return records.filter((r): r is ShareRecord => r !== undefined)
  }

  private async read (cid: string): Promise<ShareRecord | undefined> {
    const path = this.pathOf(cid)
    let text: string
    try {
      // O_NOFOLLOW: a symlink put in place of a record is not followed (docs/STORAGE.md, the shard store does the same).
      const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        const buffer = Buffer.alloc(MAX_SHARE_RECORD_BYTES + 1)
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, 0)
        if (bytesRead > MAX_SHARE_RECORD_BYTES) throw new Error(`over ${MAX_SHARE_RECORD_BYTES} bytes`)
        text = buffer.subarray(0, bytesRead).toString('utf8')
      } finally {
        await handle.close()
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      log.error('share record %s unreadable: %s', path, (err as Error).message)
      return undefined
    }
    try {
      const record = parseShareRecord(JSON.parse(text))
      if (record.cid !== cid) throw new Error(`it names ${record.cid}`)
      return record
    } catch (err) {
      log.error('share record %s ignored: %s', path, (err as Error).message)
      return undefined
    }
  }

  private pathOf (cid: string): string {
    assertValidCid(cid)
    return join(this.dir, `${cid}.json`)
  }
}

/** The record, checked field by field (it comes from disk, or from a caller): throws on anything else. */
export function parseShareRecord (value: unknown): ShareRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object')
  const r = value as Record<string, unknown>
  const known = new Set(['cid', 'name', 'size', 'k', 'm', 'codec', 'blockSize', 'sharedAt'])
  for (const key of Object.keys(r)) if (!known.has(key)) throw new Error(`unknown field ${JSON.stringify(key.slice(0, 40))}`)
  const count = (key: string, min: number): number => {
    const n = r[key]
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw new Error(`${key} must be an integer ≥ ${min}`)
    return n
  }
  assertValidCid(r.cid)
  const name = r.name
  if (name !== null && (typeof name !== 'string' || name === '' || sanitizeFileName(name) !== name)) throw new Error('name must be a sanitized file name or null')
  if (typeof r.codec !== 'string' || !CODEC_ID_PATTERN.test(r.codec)) throw new Error('codec must be a codec id')
  return { cid: r.cid, name, size: count('size', 0), k: count('k', 1), m: count('m', 0), codec: r.codec, blockSize: count('blockSize', 1), sharedAt: count('sharedAt', 0) }
}

/** The name to show for a file: its share record's, else a version 1 manifest's own, else none. */
export function fileNameOf (record: ShareRecord | undefined, manifest: Manifest | undefined): string | null {
  return record?.name ?? (manifest !== undefined ? manifestName(manifest) : undefined) ?? null
}
