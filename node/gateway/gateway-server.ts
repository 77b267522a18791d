// The HTTP gateway: any HTTP client (curl, wget, apt, browsers, video players) reads files from the nearest node by
// CID. Read-only and unauthenticated: content is addressed by CID and verified block by block before a byte is sent,
// so there is nothing to protect beyond what the swarm already makes public. The control API (node/api/) stays
// separate and token-protected. Routes, headers and limits: docs/GATEWAY.md.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { logger } from '@libp2p/logger'
import { isCapability, withoutKey } from '../../coder/capability.ts'
import { parseCid, sanitizeFileName } from '../../coder/manifest.ts'
import { openFile, readOpened } from '../fetch/file-access.ts'
import { classifyError, EdgemirrorError, NotFoundError } from '../errors.ts'
import { silentLog, type EventLog } from '../event-log.ts'
import { LimitLog } from '../limit-log.ts'
import { GATEWAY_HEADERS_TIMEOUT_MS, GATEWAY_MAX_CONNECTIONS, GATEWAY_MAX_HEADER_BYTES } from './constants.ts'
import { entityTagOf } from './entity-tags.ts'
import type { GatewayFiles } from './gateway-files.ts'
import { MIRROR_PATH_PREFIX, serveMirror, type GatewayMirrors } from './mirror-routes.ts'
import { decodePathSegment } from './path-segments.ts'
import { IMMUTABLE_CACHE_CONTROL, serveFile, type BodyCount, type ServedFile } from './serve-file.ts'

export type { GatewayFiles } from './gateway-files.ts'

const log = logger('edgemirror:gateway')

/** A capability URL holds the file's key: shared caches must not keep the plaintext under it (`private`, RFC 9111
 *  §5.2.2.7), and a page served from it must not hand it on in Referer (RFC 9110 §10.1.3, Referrer-Policy). */
const CAPABILITY_CACHE_CONTROL = 'private, max-age=31536000, immutable'
const CAPABILITY_HEADERS = { 'referrer-policy': 'no-referrer' }

/** Path prefix of file URLs: /f/<cid> and /f/<cid>/<name> (or /f/<capability>… for an encrypted file). */
export const FILE_PATH_PREFIX = '/f/'
export const METRICS_PATH = '/metrics'

/** The URL of a file on the gateway at `base`: /f/<cid>/<name> when it has a name (clients save it under that name). */
export function fileUrl (base: string, cid: string, name?: string): string {
  const safe = name === undefined ? '' : sanitizeFileName(name)
  return `${base}${FILE_PATH_PREFIX}${cid}${safe === '' ? '' : `/${encodeURIComponent(safe)}`}`
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
  /** Mirror sets (/m/…); no /m/ routes when absent. */
  mirrors?: GatewayMirrors
  /** The operator's log: a client refused for --gateway-max-streams gets a `limit.hit` line (peer: its address). */
  log?: EventLog
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
  const limits = new LimitLog({ log: options.log ?? silentLog })
  // Headers have a deadline and a size; the response has none (a large file to a slow client takes as long as it
  // takes), only the idle timeout below. requestTimeout covers receiving the request alone: a GET has no body.
  const server: Server = createServer({ maxHeaderSize: GATEWAY_MAX_HEADER_BYTES, headersTimeout: GATEWAY_HEADERS_TIMEOUT_MS, requestTimeout: GATEWAY_HEADERS_TIMEOUT_MS }, (req, res) => {
    const started = process.hrtime.bigint()
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9
    const body: BodyCount = { bytes: 0 }
    res.once('close', () => { options.observer?.response?.(res.statusCode, body.bytes, seconds()) })
    // A GET of /m/ may be a listing rather than a body; it is counted all the same (a slot is taken before the tree
    // is resolved, which may itself read from the swarm).
    const streaming = req.method === 'GET' && (req.url?.startsWith(FILE_PATH_PREFIX) === true || (options.mirrors !== undefined && req.url?.startsWith(MIRROR_PATH_PREFIX) === true))
    if (streaming && active >= options.maxStreams) {
      limits.hit(req.socket.remoteAddress ?? 'unknown', 'ERR_BUSY', { route: 'gateway' })
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
  server.maxConnections = GATEWAY_MAX_CONNECTIONS
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
      limits.stop()
      server.close()
      // Streaming responses end with the node: their holders' streams go with it.
      for (const socket of sockets) socket.destroy()
      await once(server, 'close').catch((err: Error) => { log('closing the gateway: %s', err.message) })
    }
  }
}

async function handle (options: GatewayOptions, req: IncomingMessage, res: ServerResponse, seconds: () => number, body: BodyCount): Promise<void> {
  const method = req.method ?? 'GET'
  const url = new URL(req.url ?? '/', 'http://gateway')
  const path = url.pathname
  if (path === METRICS_PATH && options.observer?.exposition !== undefined) {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res)
    const { contentType, body } = await options.observer.exposition()
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
    res.end(method === 'HEAD' ? undefined : body)
    return
  }
  const mirrors = options.mirrors
  if (mirrors !== undefined && path.startsWith(MIRROR_PATH_PREFIX)) {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res)
    await serveMirror(req, res, url, mirrors, options.files, { signal: requestSignal(res), seconds, body, firstByte: firstByteOf(options) })
    return
  }
  if (!path.startsWith(FILE_PATH_PREFIX)) throw new NotFoundError(path.slice(0, 200))
  if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res)
  const [target, name] = fileTarget(path)

  const signal = requestSignal(res)
  // The key is checked before any status line: a wrong one is a 403 (ERR_WRONG_KEY), never a 200 of wrong bytes.
  const opened = await openFile(options.files, target, { signal })
  const encrypted = opened.key !== undefined
  const file: ServedFile = {
    size: opened.manifest.fileSize,
    // The CID's tag: the plaintext of an encrypted file is as fixed as its ciphertext (one key per CID).
    etag: entityTagOf(opened.cid),
    name,
    cacheControl: encrypted ? CAPABILITY_CACHE_CONTROL : IMMUTABLE_CACHE_CONTROL,
    ...(encrypted ? { extraHeaders: CAPABILITY_HEADERS } : {}),
    read: async range => await readOpened(options.files, opened, { signal, range })
  }
  await serveFile(req, res, file, { signal, seconds, body, firstByte: firstByteOf(options) })
}

function firstByteOf (options: GatewayOptions): (seconds: number) => void {
  return seconds => { options.observer?.firstByte?.(seconds) }
}

/** A client that goes away mid-response stops the work done for it (the holders' streams included). */
function requestSignal (res: ServerResponse): AbortSignal {
  const controller = new AbortController()
  res.once('close', () => { if (!res.writableFinished) controller.abort() })
  return controller.signal
}

/** '/f/<cid>' or '/f/<cid>/<name>' → [cid, name], or the same with a capability in place of the CID; the CID is
 *  checked (the capability by openFile), the name made safe for a header. */
function fileTarget (path: string): [string, string | undefined] {
  const parts = path.slice(FILE_PATH_PREFIX.length).split('/')
  if (parts.length > 2 || parts[0] === '') throw new NotFoundError(withoutKey(path.slice(FILE_PATH_PREFIX.length)))
  const first = decodePathSegment(parts[0])
  const cid = isCapability(first) ? first : parseCid(first).toString()
  const name = parts[1] === undefined || parts[1] === '' ? undefined : sanitizeFileName(decodePathSegment(parts[1]))
  return [cid, name === '' ? undefined : name]
}

function methodNotAllowed (res: ServerResponse): void {
  const body = JSON.stringify({ error: { code: 'ERR_METHOD_NOT_ALLOWED', message: 'the gateway is read-only: GET and HEAD' } })
  res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** HTTP status of a gateway error: what a client or a cache in front should do about it. */
export function gatewayStatusFor (code: string): number {
  switch (code) {
    case 'ERR_INVALID_CID':
    case 'ERR_INVALID_CAPABILITY':
    case 'ERR_INVALID_ADDRESS': return 400
    // The set's publisher is not one this node serves (daemon --trust); an encrypted file without its key, or with
    // another key.
    case 'ERR_NOT_TRUSTED':
    case 'ERR_KEY_REQUIRED':
    case 'ERR_WRONG_KEY': return 403
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
