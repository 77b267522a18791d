// The daemon's control API: HTTP on a loopback address, every request authenticated with the bearer token written
// (mode 0600) to <repo>/api.json. File bodies stream both ways with backpressure: a share reads the request body as
// the encoder consumes it, a fetch writes the response only as fast as the client reads it.
import { withoutKey } from '../../coder/capability.ts'
import { BLOCK_ALIGNMENT, DEFAULT_K, DEFAULT_M, MAX_BLOCK_SIZE, MAX_TOTAL_SHARDS } from '../../coder/constants.ts'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isAbsolute } from 'node:path'
import { logger } from '@libp2p/logger'
import { classifyError, EdgemirrorError, NotFoundError, RequestTooLargeError, UnauthorizedError, UsageError } from '../errors.ts'
import { writeFileAtomic } from '../fs-atomic.ts'
import { parseIntegerIn } from '../integer.ts'
import { assertMirrorName } from '../mirror/address.ts'
import type { ProgressEvent } from '../../coder/progress.ts'
import { API_FILE, type ApiEndpoint } from './endpoint.ts'
import { openClaimedSource, openClaimedTarget, writeFetchInto } from './local-files.ts'
import { fileFillSource } from '../file-fill-source.ts'
import {
  HEADER_ADDRESS, HEADER_CID, HEADER_LOCAL, HEADER_NAME, HEADER_PATH, HEADER_PUBLISHER, HEADER_SEQ, HEADER_SHA256, HEADER_SIZE, MAX_JSON_REQUEST,
  NDJSON_TYPE, PROGRESS_INTERVAL_MS, ROUTES, statusForCode, TRAILER_RESULT, type ErrorBody, type FetchLocalRequestBody, type FetchLocalResult,
  type LocalFileClaim, type ProgressLine, type PublishRequestBody, type ShareLocalRequestBody
} from './routes.ts'
import type { ControlApi, FetchStart, MirrorFetchStart, PublishOptions, SharedFile, ShareOptions } from './types.ts'

const log = logger('edgemirror:api')

/** Request headers: Node's default of 16 KiB (beyond it: 431); the API's own headers are a token and a few short fields. */
export const API_MAX_HEADER_BYTES = 16 * 1024
/** A client has this long to send its request headers (Node's default is 60 s): the API is on loopback, so anything
 *  slower than 10 s is stuck, not slow. */
export const API_HEADERS_TIMEOUT_MS = 10_000
/** Connections at once (beyond: accepted and closed at once by Node). Each CLI command opens one; 128 is far above
 *  what a person or a script on the machine runs at once, and bounds the sockets a runaway local client can hold. */
export const API_MAX_CONNECTIONS = 128

/** Hosts the API may bind: it grants full control of the node, so it never listens beyond this machine. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1'])

export interface ControlServerOptions {
  api: ControlApi
  host: string
  port: number
  /** Repo dir: api.json (address + token) is written there and removed on stop. */
  repo: string
}

export interface ControlServer {
  url: string
  stop (): Promise<void>
}

export async function startControlServer (options: ControlServerOptions): Promise<ControlServer> {
  if (!LOOPBACK_HOSTS.has(options.host)) throw new UsageError(`--api must be a loopback address (127.0.0.1, ::1 or localhost), got ${options.host}`)
  const token = randomBytes(32).toString('hex')
  const expected = Buffer.from(`Bearer ${token}`)
  const server = createServer({ maxHeaderSize: API_MAX_HEADER_BYTES, headersTimeout: API_HEADERS_TIMEOUT_MS, requestTimeout: 0 }, (req, res) => {
    handle(options.api, expected, req, res).catch((err) => { sendError(res, err) })
  })
  // requestTimeout 0: a share's body streams for as long as the file takes to encode and place (Node's default of
  // 300 s cut a share of a large file at 5 minutes with 408); only the headers have a deadline.
  server.maxConnections = API_MAX_CONNECTIONS
  server.listen(options.port, options.host)
  await once(server, 'listening')
  const { address, port } = server.address() as AddressInfo
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  const endpoint: ApiEndpoint = { url, token, pid: process.pid }
  const file = `${options.repo}/${API_FILE}`
  await writeFileAtomic(file, JSON.stringify(endpoint) + '\n', 0o600)
  return {
    url,
    async stop () {
      await rm(file, { force: true })
      server.closeAllConnections()
      server.close()
      await once(server, 'close').catch((err: Error) => { log('closing the control API: %s', err.message) })
    }
  }
}

async function handle (api: ControlApi, expected: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const given = Buffer.from(req.headers.authorization ?? '')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthorizedError()
  const url = new URL(req.url ?? '/', 'http://control')
  const [route, arg] = splitRoute(url.pathname)
  const method = req.method ?? 'GET'
  // A client that goes away mid-transfer aborts the work it asked for.
  const controller = new AbortController()
  res.on('close', () => { if (!res.writableFinished) controller.abort() })
  const signal = controller.signal

  if (method === 'GET' && route === ROUTES.id) return sendJson(res, await api.id())
  if (method === 'GET' && route === ROUTES.status) return sendJson(res, await api.status())
  if (method === 'GET' && route === ROUTES.peers) return sendJson(res, await api.peers())
  if (method === 'GET' && route === ROUTES.ls) return sendJson(res, await api.ls())
  if (method === 'GET' && route === ROUTES.check && arg !== undefined) return sendJson(res, await api.check(arg, { signal }))
  if (method === 'POST' && route === ROUTES.repair && arg !== undefined) return sendJson(res, await api.repair(arg, { signal }))
  if (method === 'POST' && route === ROUTES.rm && arg !== undefined) return sendJson(res, await api.rm(arg, { signal }))
  if (method === 'POST' && route === ROUTES.share) return sendJson(res, await api.share(req, { ...shareOptions(url.searchParams), signal }))
  if (method === 'GET' && route === ROUTES.fetch && arg !== undefined) {
    // <arg> is a CID or a capability: only the CID goes to the log (a capability holds the file's key).
    const start = await api.fetch(arg, { signal })
    return await streamFetch(start.cid, start, {}, res, signal)
  }
  if (method === 'POST' && route === ROUTES.publish) {
    const options = publishOptions(await readJsonBody(req))
    return await streamProgress(res, `publish ${options.name}`, async (onProgress) => await api.publish({ ...options, signal, onProgress }))
  }
  if (method === 'POST' && route === ROUTES.shareLocal) {
    const body = shareLocalRequest(await readJsonBody(req))
    return await streamProgress(res, `share-local ${body.path}`, async (onProgress) => await shareLocal(api, body, { signal, onProgress }))
  }
  if (method === 'POST' && route === ROUTES.fetchLocal) {
    const body = fetchLocalRequest(await readJsonBody(req))
    return await streamProgress(res, `fetch-local ${withoutKey(body.cid)}`, async (onProgress) => await fetchLocal(api, body, { signal, onProgress }))
  }
  if (method === 'POST' && route === ROUTES.follow) {
    const body = objectWith(await readJsonBody(req), ['address', 'dir'], [])
    return sendJson(res, await api.follow(stringField(body, 'address'), absolutePath(body, 'dir')))
  }
  if (method === 'POST' && route === ROUTES.unfollow) {
    return sendJson(res, await api.unfollow(stringField(objectWith(await readJsonBody(req), ['address'], []), 'address')))
  }
  if (method === 'GET' && route === ROUTES.mirrors) return sendJson(res, await api.mirrors())
  if (method === 'GET' && route === ROUTES.versions) return sendJson(res, await api.versions(queryParam(url.searchParams, 'address')))
  if (method === 'GET' && route === ROUTES.tree) return sendJson(res, await api.listTree(queryParam(url.searchParams, 'target'), { signal }))
  if (method === 'GET' && route === ROUTES.fetchPath) {
    const target = queryParam(url.searchParams, 'target')
    const start = await api.fetchPath(target, { signal })
    return await streamFetch(target, start, mirrorHeaders(start), res, signal)
  }
  throw new NotFoundError(`${method} ${url.pathname}`)
}

/** '/v1/fetch/<cid>' → ['/v1/fetch', '<cid>']; other paths come back whole. */
function splitRoute (path: string): [string, string | undefined] {
  const parts = path.split('/')
  if (parts.length === 4 && parts[3] !== '') return [parts.slice(0, 3).join('/'), decodeSegment(parts[3])]
  return [path, undefined]
}

/** A percent-decoded path segment; a malformed escape ('%E0', found by test/fuzz) is the client's mistake, ERR_USAGE,
 *  not the URIError decodeURIComponent throws (which answered 500 ERR_INTERNAL). */
function decodeSegment (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new UsageError(`malformed percent-escape in the path segment ${JSON.stringify(text.slice(0, 200))}`)
  }
}

function shareOptions (params: URLSearchParams): ShareOptions {
  const size = integerParam(params, 'size', 0, Number.MAX_SAFE_INTEGER)
  if (size === undefined) throw new UsageError('share needs the file size (?size=N)')
  return {
    size,
    k: integerParam(params, 'k', 1, MAX_TOTAL_SHARDS - 1) ?? DEFAULT_K,
    m: integerParam(params, 'm', 1, MAX_TOTAL_SHARDS - 1) ?? DEFAULT_M,
    name: params.get('name') ?? undefined,
    codec: params.get('codec') ?? undefined,
    blockSize: integerParam(params, 'blockSize', BLOCK_ALIGNMENT, MAX_BLOCK_SIZE),
    allowFewerPeers: params.get('allowFewerPeers') === 'true',
    encrypt: params.get('encrypt') === 'true'
  }
}

function integerParam (params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = params.get(name)
  return text === null ? undefined : parseIntegerIn(name, text, min, max)
}

/** A file's bytes (fetch by CID, fetch-path), the headers the client checks them against, and the report as a trailer. */
async function streamFetch (what: string, start: FetchStart, headers: Record<string, string>, res: ServerResponse, signal: AbortSignal): Promise<void> {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    [HEADER_CID]: start.cid,
    [HEADER_SIZE]: String(start.size),
    ...(start.sha256 !== null ? { [HEADER_SHA256]: start.sha256 } : {}),
    ...(start.name !== null ? { [HEADER_NAME]: encodeURIComponent(start.name) } : {}),
    ...headers,
    trailer: TRAILER_RESULT
  })
  let result: unknown
  try {
    for await (const chunk of start.body) {
      if (!res.write(chunk)) await once(res, 'drain', { signal })
    }
    result = await start.done
  } catch (err) {
    log('fetch %s failed mid-stream: %s', what, (err as Error).message)
    result = errorBody(err)
  }
  if (res.destroyed) return
  res.addTrailers({ [TRAILER_RESULT]: JSON.stringify(result) })
  res.end()
}

function mirrorHeaders (start: MirrorFetchStart): Record<string, string> {
  return {
    [HEADER_ADDRESS]: encodeURIComponent(start.address),
    [HEADER_PUBLISHER]: start.publisher,
    [HEADER_SEQ]: String(start.seq),
    [HEADER_PATH]: encodeURIComponent(start.path),
    [HEADER_LOCAL]: String(start.local)
  }
}

/**
 * A long operation (publish, share-local, fetch-local) as NDJSON: progress lines (at most one per
 * PROGRESS_INTERVAL_MS; the ones between are dropped, the next carries their bytes), then the result or the error.
 * Until the first line the status is still open, so a request refused at once (a missing DIR, too few peers, a local
 * path that is not the client's file) answers with its HTTP status and error body like any other route.
 */
async function streamProgress<T> (res: ServerResponse, what: string, run: (onProgress: (event: ProgressEvent) => void) => Promise<T>): Promise<void> {
  const line = (value: ProgressLine<T>): void => {
    if (!res.headersSent) res.writeHead(200, { 'content-type': NDJSON_TYPE, 'cache-control': 'no-store' })
    // Lines are small and few: no waiting for 'drain' (a progress line must never hold up the work).
    if (!res.destroyed) res.write(JSON.stringify(value) + '\n')
  }
  let lastProgress = -Infinity
  let result: T
  try {
    result = await run((progress) => {
      const now = performance.now()
      if (now - lastProgress < PROGRESS_INTERVAL_MS) return
      lastProgress = now
      line({ progress })
    })
  } catch (err) {
    if (!res.headersSent) throw err
    log('%s failed: %s', what, (err as Error).message)
    line(errorBody(err))
    res.end()
    return
  }
  line({ result })
  res.end()
}

/** Share a file the daemon reads itself, once it proved to be the one the client described. */
async function shareLocal (api: ControlApi, body: ShareLocalRequestBody, options: { signal: AbortSignal, onProgress: (event: ProgressEvent) => void }): Promise<SharedFile> {
  const handle = await openClaimedSource(body)
  try {
    const { size, name, k, m, codec, blockSize, allowFewerPeers, encrypt } = body
    return await api.share(fileFillSource(handle), { size, name, k, m, codec, blockSize, allowFewerPeers, encrypt, ...options })
  } finally {
    await handle.close()
  }
}

/** Fetch a file into the empty file the client created for it; the client then moves it into place. The target is
 *  checked before the fetch starts, so a refused one costs no swarm traffic. */
async function fetchLocal (api: ControlApi, body: FetchLocalRequestBody, options: { signal: AbortSignal, onProgress: (event: ProgressEvent) => void }): Promise<FetchLocalResult> {
  const handle = await openClaimedTarget(body)
  try {
    const start = await api.fetch(body.cid, { signal: options.signal })
    await writeFetchInto(handle, start, options.onProgress)
    const report = await start.done
    return { cid: start.cid, size: start.size, sha256: start.sha256, name: start.name, ...report }
  } finally {
    await handle.close()
  }
}

/** A JSON request body, at most MAX_JSON_REQUEST bytes. */
async function readJsonBody (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let length = 0
  // Read to the end even past the limit (keeping nothing more): leaving the loop early would destroy the socket, and
  // the 400 with it.
  for await (const chunk of req) {
    length += (chunk as Buffer).length
    if (length <= MAX_JSON_REQUEST) chunks.push(chunk as Buffer)
  }
  if (length > MAX_JSON_REQUEST) throw new RequestTooLargeError('request body', MAX_JSON_REQUEST)
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw new UsageError(`request body is not JSON: ${(err as Error).message}`)
  }
}

/** `value` as an object holding every key of `required`, others only from `optional`, nothing else. */
function objectWith (value: unknown, required: string[], optional: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('request body must be a JSON object')
  const body = value as Record<string, unknown>
  for (const key of required) if (body[key] === undefined) throw new UsageError(`request body lacks "${key}"`)
  for (const key of Object.keys(body)) {
    if (!required.includes(key) && !optional.includes(key)) throw new UsageError(`request body has an unknown field "${key.slice(0, 40)}"`)
  }
  return body
}

/** Longest string field: a path (PATH_MAX is 4096 on Linux) or a target (parseMirrorTarget's own bound). */
const MAX_STRING_FIELD = 4096

function stringField (body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== 'string' || value === '' || value.length > MAX_STRING_FIELD || value.includes('\0')) {
    throw new UsageError(`"${key}" must be a non-empty string of at most ${MAX_STRING_FIELD} characters`)
  }
  return value
}

/** A directory on the daemon's machine: the client resolves it, since the daemon's working directory means nothing to it. */
function absolutePath (body: Record<string, unknown>, key: string): string {
  const value = stringField(body, key)
  if (!isAbsolute(value)) throw new UsageError(`"${key}" must be an absolute path, got ${JSON.stringify(value.slice(0, 200))}`)
  return value
}

function integerField (body: Record<string, unknown>, key: string, min: number, max: number): number {
  const value = body[key]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`"${key}" must be an integer in ${min}..${max}`)
  return value
}

function publishOptions (value: unknown): PublishOptions {
  const keys: Array<keyof PublishRequestBody> = ['dir', 'name', 'k', 'm']
  const body = objectWith(value, keys, ['keep', 'allowFewerPeers'] satisfies Array<keyof PublishRequestBody>)
  if (body.allowFewerPeers !== undefined && typeof body.allowFewerPeers !== 'boolean') throw new UsageError('"allowFewerPeers" must be a boolean')
  return {
    dir: absolutePath(body, 'dir'),
    name: mirrorName(body),
    keep: body.keep === undefined ? undefined : integerField(body, 'keep', 1, Number.MAX_SAFE_INTEGER),
    k: integerField(body, 'k', 1, MAX_TOTAL_SHARDS - 1),
    m: integerField(body, 'm', 1, MAX_TOTAL_SHARDS - 1),
    allowFewerPeers: body.allowFewerPeers
  }
}

/** Decimal digits of a 64-bit unsigned integer (a device, an inode, a time in ns): at most 20 of them. */
const UINT64_TEXT = /^[0-9]{1,20}$/

function localFileClaim (body: Record<string, unknown>): LocalFileClaim {
  for (const key of ['dev', 'ino']) {
    if (typeof body[key] !== 'string' || !UINT64_TEXT.test(body[key] as string)) throw new UsageError(`"${key}" must be a decimal string`)
  }
  return { path: absolutePath(body, 'path'), dev: body.dev as string, ino: body.ino as string }
}

function shareLocalRequest (value: unknown): ShareLocalRequestBody {
  const body = objectWith(value, ['path', 'dev', 'ino', 'size', 'mtimeNs', 'k', 'm'] satisfies Array<keyof ShareLocalRequestBody>,
    ['name', 'codec', 'blockSize', 'allowFewerPeers', 'encrypt'] satisfies Array<keyof ShareLocalRequestBody>)
  if (typeof body.mtimeNs !== 'string' || !UINT64_TEXT.test(body.mtimeNs)) throw new UsageError('"mtimeNs" must be a decimal string')
  for (const flag of ['allowFewerPeers', 'encrypt']) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean') throw new UsageError(`"${flag}" must be a boolean`)
  }
  return {
    ...localFileClaim(body),
    size: integerField(body, 'size', 0, Number.MAX_SAFE_INTEGER),
    mtimeNs: body.mtimeNs,
    name: body.name === undefined ? undefined : stringField(body, 'name'),
    k: integerField(body, 'k', 1, MAX_TOTAL_SHARDS - 1),
    m: integerField(body, 'm', 1, MAX_TOTAL_SHARDS - 1),
    codec: body.codec === undefined ? undefined : stringField(body, 'codec'),
    blockSize: body.blockSize === undefined ? undefined : integerField(body, 'blockSize', BLOCK_ALIGNMENT, MAX_BLOCK_SIZE),
    allowFewerPeers: body.allowFewerPeers as boolean | undefined,
    encrypt: body.encrypt as boolean | undefined
  }
}

function fetchLocalRequest (value: unknown): FetchLocalRequestBody {
  const body = objectWith(value, ['cid', 'path', 'dev', 'ino'] satisfies Array<keyof FetchLocalRequestBody>, [])
  return { ...localFileClaim(body), cid: stringField(body, 'cid') }
}

function mirrorName (body: Record<string, unknown>): string {
  const name = stringField(body, 'name')
  assertMirrorName(name)
  return name
}

function queryParam (params: URLSearchParams, name: string): string {
  const value = params.get(name)
  if (value === null || value === '' || value.length > MAX_STRING_FIELD) throw new UsageError(`needs ?${name}= (at most ${MAX_STRING_FIELD} characters)`)
  return value
}

function sendJson (res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function errorBody (raw: unknown): ErrorBody {
  const err = classifyError(raw)
  if (err instanceof EdgemirrorError) return { error: { code: err.code, message: err.message, details: err.details } }
  return { error: { code: 'ERR_INTERNAL', message: (err as Error)?.message ?? String(err) } }
}

function sendError (res: ServerResponse, err: unknown): void {
  const body = errorBody(err)
  if (body.error.code === 'ERR_INTERNAL') log.error('control request failed: %s', (err as Error)?.stack ?? String(err))
  if (res.headersSent) {
    res.destroy(err as Error)
    return
  }
  sendJson(res, body, statusForCode(body.error.code))
}
