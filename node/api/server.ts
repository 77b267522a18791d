// The daemon's control API: HTTP on a loopback address, every request authenticated with the bearer token written
// (mode 0600) to <repo>/api.json. File bodies stream both ways with backpressure: a share reads the request body as
// the encoder consumes it, a fetch writes the response only as fast as the client reads it.
import { BLOCK_ALIGNMENT, DEFAULT_K, DEFAULT_M, MAX_BLOCK_SIZE, MAX_TOTAL_SHARDS } from '../../coder/constants.ts'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { logger } from '@libp2p/logger'
import { classifyError, EdgemirrorError, NotFoundError, UnauthorizedError, UsageError } from '../errors.ts'
import { writeFileAtomic } from '../fs-atomic.ts'
import { parseIntegerIn } from '../integer.ts'
import { API_FILE, type ApiEndpoint } from './endpoint.ts'
import { HEADER_NAME, HEADER_SHA256, HEADER_SIZE, ROUTES, statusForCode, TRAILER_RESULT, type ErrorBody } from './routes.ts'
import type { ControlApi, ShareOptions } from './types.ts'

const log = logger('edgemirror:api')

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
  const server = createServer((req, res) => {
    handle(options.api, expected, req, res).catch((err) => { sendError(res, err) })
  })
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
  if (method === 'GET' && route === ROUTES.fetch && arg !== undefined) return await streamFetch(api, arg, res, signal)
  throw new NotFoundError(`${method} ${url.pathname}`)
}

/** '/v1/fetch/<cid>' → ['/v1/fetch', '<cid>']; other paths come back whole. */
function splitRoute (path: string): [string, string | undefined] {
  const parts = path.split('/')
  if (parts.length === 4 && parts[3] !== '') return [parts.slice(0, 3).join('/'), decodeURIComponent(parts[3])]
  return [path, undefined]
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
    allowFewerPeers: params.get('allowFewerPeers') === 'true'
  }
}

function integerParam (params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = params.get(name)
  return text === null ? undefined : parseIntegerIn(name, text, min, max)
}

async function streamFetch (api: ControlApi, cid: string, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const start = await api.fetch(cid, { signal })
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    [HEADER_SIZE]: String(start.size),
    [HEADER_SHA256]: start.sha256,
    ...(start.name !== null ? { [HEADER_NAME]: encodeURIComponent(start.name) } : {}),
    trailer: TRAILER_RESULT
  })
  let result: unknown
  try {
    for await (const chunk of start.body) {
      if (!res.write(chunk)) await once(res, 'drain', { signal })
    }
    result = await start.done
  } catch (err) {
    log('fetch %s failed mid-stream: %s', cid, (err as Error).message)
    result = errorBody(err)
  }
  if (res.destroyed) return
  res.addTrailers({ [TRAILER_RESULT]: JSON.stringify(result) })
  res.end()
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
