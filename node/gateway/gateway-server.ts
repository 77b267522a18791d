// The HTTP gateway: any HTTP client (curl, wget, apt, browsers, video players) reads files from the nearest node by
// CID. Read-only and unauthenticated: content is addressed by CID and verified block by block before a byte is sent,
// so there is nothing to protect beyond what the swarm already makes public. The control API (node/api/) stays
// separate and token-protected. Routes, headers and limits: docs/GATEWAY.md.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import contentDisposition from 'content-disposition'
import mime from 'mime-types'
import { logger } from '@libp2p/logger'
import type { ByteRange } from '../../coder/layout.ts'
import { parseCid, sanitizeFileName, type Manifest } from '../../coder/manifest.ts'
import { classifyError, EdgemirrorError, NotFoundError } from '../errors.ts'
import type { FetchStart } from '../fetch/types.ts'
import { decideRanges } from './byte-ranges.ts'
import { entityTagMatches, entityTagOf } from './entity-tags.ts'
import { planMultipart } from './multipart-byteranges.ts'

const log = logger('edgemirror:gateway')

/** Path prefix of file URLs: /f/<cid> and /f/<cid>/<name>. */
export const FILE_PATH_PREFIX = '/f/'
export const METRICS_PATH = '/metrics'

/** The URL of a file on the gateway at `base`: /f/<cid>/<name> when it has a name (clients save it under that name). */
export function fileUrl (base: string, cid: string, name?: string): string {
  const safe = name === undefined ? '' : sanitizeFileName(name)
  return `${base}${FILE_PATH_PREFIX}${cid}${safe === '' ? '' : `/${encodeURIComponent(safe)}`}`
}

/** What the gateway reads files through: the node, or an edge cache in front of it. */
export interface GatewayFiles {
  /** The file's manifest, checked against its CID. */
  manifest (cid: string, options: { signal?: AbortSignal }): Promise<Manifest>
  /** The file's bytes, or only `range` of them; every block verified before it is yielded. */
  fetch (cid: string, options: { signal?: AbortSignal, range?: ByteRange }): Promise<FetchStart>
}

/** Told about each response (metrics). */
export interface GatewayObserver {
  /** Headers sent: the time since the request arrived, for bodies only. */
  firstByte? (seconds: number): void
  /** The response ended (or was cut off): its status, body bytes sent and duration. */
  response? (status: number, bytes: number, seconds: number): void
  /** The Prometheus exposition; no /metrics route when absent. */
  exposition? (): Promise<{ contentType: string, body: string }>
}

export interface GatewayOptions {
  files: GatewayFiles
  host: string
  port: number
  /** Responses streaming at once; more get 503 with Retry-After. */
  maxStreams: number
  /** A connection with no bytes moving either way for this long is closed (a client that stopped reading). */
  idleTimeoutMs: number
  observer?: GatewayObserver
}

export interface Gateway {
  url: string
  /** Responses streaming now. */
  active (): number
  stop (): Promise<void>
}

/** Seconds a client asked to come back later waits (Retry-After, RFC 9110 §10.2.3): one slot frees in about that. */
const RETRY_AFTER_SECONDS = 1

export async function startGateway (options: GatewayOptions): Promise<Gateway> {
  let active = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const started = process.hrtime.bigint()
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9
    const body: BodyCount = { bytes: 0 }
    res.once('close', () => { options.observer?.response?.(res.statusCode, body.bytes, seconds()) })
    const streaming = req.method === 'GET' && req.url?.startsWith(FILE_PATH_PREFIX) === true
    if (streaming && active >= options.maxStreams) {
      sendError(res, new EdgemirrorError('ERR_BUSY', `busy: ${options.maxStreams} responses are streaming (--gateway-max-streams)`), { 'retry-after': String(RETRY_AFTER_SECONDS) })
      return
    }
    if (streaming) active++
    const done = (): void => { if (streaming) active-- }
    handle(options, req, res, seconds, body).then(done, (err) => {
      done()
      sendError(res, err)
    })
  })
  server.timeout = options.idleTimeoutMs
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.listen(options.port, options.host)
  await once(server, 'listening')
  const { address, port } = server.address() as AddressInfo
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  return {
    url,
    active: () => active,
    async stop () {
      server.close()
      // Streaming responses end with the node: their holders' streams go with it.
      for (const socket of sockets) socket.destroy()
      await once(server, 'close').catch((err: Error) => { log('closing the gateway: %s', err.message) })
    }
  }
}

/** Body bytes a response streamed (the metrics count them). */
interface BodyCount { bytes: number }

async function handle (options: GatewayOptions, req: IncomingMessage, res: ServerResponse, seconds: () => number, body: BodyCount): Promise<void> {
  const method = req.method ?? 'GET'
  const path = new URL(req.url ?? '/', 'http://gateway').pathname
  if (path === METRICS_PATH && options.observer?.exposition !== undefined) {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res)
    const { contentType, body } = await options.observer.exposition()
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
    res.end(method === 'HEAD' ? undefined : body)
    return
  }
  if (!path.startsWith(FILE_PATH_PREFIX)) throw new NotFoundError(path.slice(0, 200))
  if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res)
  const [cid, name] = fileTarget(path)

  // A client that goes away mid-response stops the work done for it (the holders' streams included).
  const controller = new AbortController()
  res.once('close', () => { if (!res.writableFinished) controller.abort() })
  const signal = controller.signal
  const manifest = await options.files.manifest(cid, { signal })
  const size = manifest.fileSize
  const etag = entityTagOf(cid)
  const type = name === undefined ? 'application/octet-stream' : (mime.lookup(name) || 'application/octet-stream')
  const headers: Record<string, string | number> = {
    etag,
    // Content addressed by CID never changes: a year is the longest lifetime RFC 9111 §5.2.2.1 suggests, `immutable`
    // (RFC 8246) spares the revalidation on reload.
    'cache-control': 'public, max-age=31536000, immutable',
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    ...(name !== undefined ? { 'content-disposition': contentDisposition(name, { type: 'inline' }) } : {})
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
  const head = method === 'HEAD'
  const ranges = decision.kind === 'full' ? [undefined] : decision.ranges
  // The first read starts, and its first block arrives, before the status line: a file that cannot be read now (fewer
  // than k holders, the first stripe unrebuildable) is a 503 with its code, not a 200 cut off at its first byte.
  // HEAD reads nothing.
  const first = head ? undefined : await startBody(await options.files.fetch(cid, { signal, range: ranges[0] }))
  if (ranges.length === 1) {
    const range = ranges[0]
    const [status, length] = range === undefined ? [200, size] : [206, range.end - range.start]
    res.writeHead(status, { ...headers, 'content-type': type, 'content-length': length, ...(range !== undefined ? { 'content-range': `bytes ${range.start}-${range.end - 1}/${size}` } : {}) })
    if (first !== undefined) {
      options.observer?.firstByte?.(seconds())
      await streamBody(first, res, signal, body)
    }
    res.end()
    return
  }
  const plan = planMultipart(ranges as ByteRange[], size, type)
  res.writeHead(206, { ...headers, 'content-type': plan.contentType, 'content-length': plan.length })
  if (first !== undefined) {
    options.observer?.firstByte?.(seconds())
    for (const [i, range] of ranges.entries()) {
      await writeChunk(res, plan.heads[i], signal, body)
      await streamBody(i === 0 ? first : await startBody(await options.files.fetch(cid, { signal, range })), res, signal, body)
    }
    await writeChunk(res, plan.tail, signal, body)
  }
  res.end()
}

/** '/f/<cid>' or '/f/<cid>/<name>' → [cid, name]; the CID is checked, the name made safe for a header. */
function fileTarget (path: string): [string, string | undefined] {
  const parts = path.slice(FILE_PATH_PREFIX.length).split('/')
  if (parts.length > 2 || parts[0] === '') throw new NotFoundError(path.slice(0, 200))
  const cid = parseCid(safeDecode(parts[0])).toString()
  const name = parts[1] === undefined || parts[1] === '' ? undefined : sanitizeFileName(safeDecode(parts[1]))
  return [cid, name === '' ? undefined : name]
}

function safeDecode (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function header (req: IncomingMessage, name: 'range' | 'if-range'): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

/** A read whose first chunk has arrived (or that turned out empty), and the rest of it. */
interface StartedBody { read: FetchStart, first: IteratorResult<Uint8Array>, rest: AsyncIterator<Uint8Array> }

async function startBody (read: FetchStart): Promise<StartedBody> {
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

function methodNotAllowed (res: ServerResponse): void {
  const body = JSON.stringify({ error: { code: 'ERR_METHOD_NOT_ALLOWED', message: 'the gateway is read-only: GET and HEAD' } })
  res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** HTTP status of a gateway error: what a client or a cache in front should do about it. */
export function gatewayStatusFor (code: string): number {
  switch (code) {
    case 'ERR_INVALID_CID': return 400
    case 'ERR_NOT_FOUND': return 404
    // The file exists but cannot be rebuilt now: a client may come back (a holder restarts, repair runs).
    case 'ERR_NOT_ENOUGH_SHARDS':
    case 'ERR_NOT_ENOUGH_PEERS':
    case 'ERR_PEER_UNAVAILABLE':
    case 'ERR_BUSY': return 503
    case 'ERR_TIMEOUT': return 504
    default: return 500
  }
}

function sendError (res: ServerResponse, raw: unknown, extra: Record<string, string> = {}): void {
  const err = classifyError(raw)
  const code = err instanceof EdgemirrorError ? err.code : 'ERR_INTERNAL'
  const message = (err as Error)?.message ?? String(err)
  if (res.headersSent) {
    // Mid-body: the only honest thing left is to cut the response short.
    log('response cut off: %s %s', code, message)
    res.destroy()
    return
  }
  if (code === 'ERR_INTERNAL') log.error('gateway request failed: %s', (err as Error)?.stack ?? String(err))
  const body = JSON.stringify({ error: { code, message } })
  res.writeHead(gatewayStatusFor(code), { ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(body)
}
