// One file response, whatever the route that named the file (/f/<cid>, /m/PEERID/NAME/PATH) and wherever its bytes
// come from (the swarm, the edge cache, a follower's own copy on disk): RFC 9110 conditional requests (If-None-Match,
// If-Range), ranges (206, multipart/byteranges, 416), HEAD, and a body streamed with backpressure. docs/GATEWAY.md.
import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import contentDisposition from 'content-disposition'
import mime from 'mime-types'
import type { ByteRange } from '../../coder/layout.ts'
import type { FetchStart } from '../fetch/types.ts'
import { decideRanges } from './byte-ranges.ts'
import { entityTagMatches } from './entity-tags.ts'
import { planMultipart } from './multipart-byteranges.ts'

/** Content addressed by CID never changes: a year is the longest lifetime RFC 9111 §5.2.2.1 suggests, `immutable`
 *  (RFC 8246) spares the revalidation on reload. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'
/** What a URL names may change (the newest version of a mirror set): caches keep it but ask every time, and the
 *  ETag makes asking cheap (If-None-Match → 304). RFC 9111 §5.2.2.2. */
export const REVALIDATE_CACHE_CONTROL = 'public, max-age=0, must-revalidate'

/** The bytes of a read, and when it is over: a swarm fetch's FetchStart, or anything with its shape. The rest of a
 *  FetchStart (the manifest's SHA-256, the name) is not needed to answer, and a copy on disk has no manifest at hand. */
export type FileBody = Pick<FetchStart, 'body' | 'done'>

/** A file to answer with. */
export interface ServedFile {
  size: number
  /** Strong entity tag: entityTagOf(cid). */
  etag: string
  /** The name clients save it under (already sanitized): Content-Type and Content-Disposition; none for a bare CID. */
  name?: string
  cacheControl: string
  /** Sent with every response for the file (after the standard ones). */
  extraHeaders?: Record<string, string>
  /** The file's bytes, or only `range` of them. Called once per range, never for HEAD, 304 or 416. */
  read: (range: ByteRange | undefined) => Promise<FileBody>
}

/** Body bytes a response streamed (the metrics count them). */
export interface BodyCount { bytes: number }

export interface ServeContext {
  signal: AbortSignal
  /** Seconds since the request arrived. */
  seconds: () => number
  body: BodyCount
  /** Told when the headers of a response with a body are sent. */
  firstByte?: (seconds: number) => void
}

export async function serveFile (req: IncomingMessage, res: ServerResponse, file: ServedFile, context: ServeContext): Promise<void> {
  const { signal, seconds, body } = context
  const { size, etag, name } = file
  const type = name === undefined ? 'application/octet-stream' : (mime.lookup(name) || 'application/octet-stream')
  const headers: Record<string, string | number> = {
    etag,
    'cache-control': file.cacheControl,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    ...(name !== undefined ? { 'content-disposition': contentDisposition(name, { type: 'inline' }) } : {}),
    ...file.extraHeaders
  }
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined && entityTagMatches(ifNoneMatch, etag, 'weak')) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  const decision = decideRanges(size, etag, header(req, 'range'), header(req, 'if-range'))
  if (decision.kind === 'unsatisfiable') {
    const body = JSON.stringify({ error: { code: 'ERR_RANGE_NOT_SATISFIABLE', message: `no requested range is within the file's ${size} bytes` } })
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
    return
  }
  const head = req.method === 'HEAD'
  const ranges = decision.kind === 'full' ? [undefined] : decision.ranges
  // The first read starts, and its first block arrives, before the status line: a file that cannot be read now (fewer
  // than k holders, the first stripe unrebuildable) is a 503 with its code, not a 200 cut off at its first byte.
  // HEAD reads nothing.
  const first = head ? undefined : await startBody(await file.read(ranges[0]))
  if (ranges.length === 1) {
    const range = ranges[0]
    const [status, length] = range === undefined ? [200, size] : [206, range.end - range.start]
    res.writeHead(status, { ...headers, 'content-type': type, 'content-length': length, ...(range !== undefined ? { 'content-range': `bytes ${range.start}-${range.end - 1}/${size}` } : {}) })
    if (first !== undefined) {
      context.firstByte?.(seconds())
      await streamBody(first, res, signal, body)
    }
    res.end()
    return
  }
  const plan = planMultipart(ranges as ByteRange[], size, type)
  res.writeHead(206, { ...headers, 'content-type': plan.contentType, 'content-length': plan.length })
  if (first !== undefined) {
    context.firstByte?.(seconds())
    for (const [i, range] of ranges.entries()) {
      await writeChunk(res, plan.heads[i], signal, body)
      await streamBody(i === 0 ? first : await startBody(await file.read(range)), res, signal, body)
    }
    await writeChunk(res, plan.tail, signal, body)
  }
  res.end()
}

function header (req: IncomingMessage, name: 'range' | 'if-range'): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

/** A read whose first chunk has arrived (or that turned out empty), and the rest of it. */
interface StartedBody { read: FileBody, first: IteratorResult<Uint8Array>, rest: AsyncIterator<Uint8Array> }

async function startBody (read: FileBody): Promise<StartedBody> {
  const rest = read.body[Symbol.asyncIterator]()
  return { read, first: await rest.next(), rest }
}

/**
 * Stream a read with backpressure: the next block is read only as the client takes the last one, so a slow client
 * holds one stripe per response, not the file. A block that cannot be had or verified fails the read: the response
 * is cut off short of its Content-Length (the client sees an incomplete body, never wrong bytes).
 */
async function streamBody (started: StartedBody, res: ServerResponse, signal: AbortSignal, count: BodyCount): Promise<void> {
  for (let next = started.first; next.done !== true; next = await started.rest.next()) await writeChunk(res, next.value, signal, count)
  await started.read.done
}

async function writeChunk (res: ServerResponse, chunk: Uint8Array, signal: AbortSignal, count: BodyCount): Promise<void> {
  count.bytes += chunk.byteLength
  if (!res.write(chunk)) await once(res, 'drain', { signal })
}
