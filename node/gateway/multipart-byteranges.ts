// A 206 with several ranges is a multipart/byteranges body (RFC 9110 §14.6): each part has its own Content-Type and
// Content-Range. Every part's header is known before any data is read, so the body's length is too (Content-Length
// rather than chunked: clients and caches rely on it).
import { randomBytes } from 'node:crypto'
import type { ByteRange } from '../../coder/layout.ts'

export interface MultipartPlan {
  contentType: string
  /** For each range: the bytes that go before its data. */
  heads: Buffer[]
  /** After the last part's data. */
  tail: Buffer
  length: number
}

export function planMultipart (ranges: ByteRange[], size: number, partType: string): MultipartPlan {
  // 24 random bytes as hex: cannot occur by chance in the data (§14.6 asks for a boundary absent from the parts).
  const boundary = randomBytes(24).toString('hex')
  const heads = ranges.map((r, i) => Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${partType}\r\nContent-Range: bytes ${r.start}-${r.end - 1}/${size}\r\n\r\n`))
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const length = heads.reduce((sum, h) => sum + h.byteLength, 0) + ranges.reduce((sum, r) => sum + r.end - r.start, 0) + tail.byteLength
  return { contentType: `multipart/byteranges; boundary=${boundary}`, heads, tail, length }
}
