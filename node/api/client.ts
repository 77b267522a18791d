// The CLI's side of the control API: finds the daemon through <repo>/api.json and speaks HTTP to it. File bodies
// stream both ways; nothing here holds a whole file.
import { request, type IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { DaemonNotRunningError, EdgemirrorError, ProtocolError } from '../errors.ts'
import { API_FILE, readEndpoint, type ApiEndpoint } from './endpoint.ts'
import type { ProgressEvent } from '../../coder/progress.ts'
import {
  HEADER_ADDRESS, HEADER_CID, HEADER_LOCAL, HEADER_NAME, HEADER_PATH, HEADER_PUBLISHER, HEADER_SEQ, HEADER_SHA256, HEADER_SIZE, ROUTES, TRAILER_RESULT,
  type ErrorBody, type FetchLocalRequestBody, type FetchLocalResult, type ProgressLine, type PublishRequestBody, type ShareLocalRequestBody
} from './routes.ts'
import type {
  CheckResult, FetchReport, FileView, IdResult, MirrorView, PeerView, PublishResult, RepairResult, RmResult, SharedFile, StatusResult, TreeListing,
  VersionRecordView
} from './types.ts'

/** JSON answers are small (the largest, `ls`, is ~200 bytes per file); refuse anything absurd from the socket. */
const MAX_JSON_RESPONSE = 64 * 1024 * 1024

export interface ShareRequest {
  size: number
  k: number
  m: number
  name?: string
  codec?: string
  blockSize?: number
  allowFewerPeers?: boolean
  encrypt?: boolean
}

export interface FetchResponse {
  cid: string
  size: number
  /** The manifest's SHA-256 of the file; null for an encrypted file (FetchStart.sha256). */
  sha256: string | null
  name: string | null
  body: IncomingMessage
  /** Resolves with the report once the body has been read to its end; rejects if the daemon could not rebuild. */
  result: Promise<FetchReport>
}

/** A file of a mirror set being read (GET /v1/fetch-path): the fetch, plus the version and publisher it came from. */
export interface MirrorFetchResponse extends FetchResponse {
  address: string
  publisher: string
  seq: number
  path: string
  /** True when the daemon read it from its followed copy (no swarm traffic). */
  local: boolean
}

export type PublishRequest = PublishRequestBody

export class ApiClient {
  private constructor (private readonly endpoint: ApiEndpoint, private readonly repo: string) {}

  static async connect (repo: string): Promise<ApiClient> {
    return new ApiClient(await readEndpoint(repo), repo)
  }

  async id (): Promise<IdResult> { return await this.json('GET', ROUTES.id) }
  async status (): Promise<StatusResult> { return await this.json('GET', ROUTES.status) }
  async peers (): Promise<PeerView[]> { return await this.json('GET', ROUTES.peers) }
  async ls (): Promise<FileView[]> { return await this.json('GET', ROUTES.ls) }
  async check (cid: string): Promise<CheckResult> { return await this.json('GET', `${ROUTES.check}/${encodeURIComponent(cid)}`) }
  async repair (cid: string): Promise<RepairResult> { return await this.json('POST', `${ROUTES.repair}/${encodeURIComponent(cid)}`) }
  async rm (cid: string): Promise<RmResult> { return await this.json('POST', `${ROUTES.rm}/${encodeURIComponent(cid)}`) }

  /** Stream `body` (exactly `options.size` bytes) to the daemon, which encodes and places it as it arrives. */
  async share (body: Readable, options: ShareRequest): Promise<SharedFile> {
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(options)) if (value !== undefined) query.set(key, String(value))
    const res = await this.send('POST', `${ROUTES.share}?${query.toString()}`, body)
    return await readJson(res)
  }

  async follow (address: string, dir: string): Promise<MirrorView> { return await this.json('POST', ROUTES.follow, { address, dir }) }
  async unfollow (address: string): Promise<MirrorView> { return await this.json('POST', ROUTES.unfollow, { address }) }
  async mirrors (): Promise<MirrorView[]> { return await this.json('GET', ROUTES.mirrors) }
  async versions (address: string): Promise<VersionRecordView[]> { return await this.json('GET', `${ROUTES.versions}?${new URLSearchParams({ address }).toString()}`) }
  async listTree (target: string): Promise<TreeListing> { return await this.json('GET', `${ROUTES.tree}?${new URLSearchParams({ target }).toString()}`) }

  /** Publish a directory on the daemon's machine; `onProgress` sees the daemon's progress (at most ~10 a second). */
  async publish (request: PublishRequest, options: ProgressCallback = {}): Promise<PublishResult> {
    return await progressResult(await this.send('POST', ROUTES.publish, jsonBody(request)), 'publish', options)
  }

  /** Have the daemon read and share a file on this machine (the local fast path, docs/ARCHITECTURE.md); fails with
   *  ERR_LOCAL_PATH_MISMATCH when the daemon cannot open that very file, and the caller streams it with `share`. */
  async shareLocal (request: ShareLocalRequestBody, options: ProgressCallback = {}): Promise<SharedFile> {
    return await progressResult(await this.send('POST', ROUTES.shareLocal, jsonBody(request)), 'share', options)
  }

  /** Have the daemon fetch a file into the empty file `request.path` this client created (the local fast path);
   *  fails with ERR_LOCAL_PATH_MISMATCH when the daemon cannot open that very file, and the caller streams with `fetch`. */
  async fetchLocal (request: FetchLocalRequestBody, options: ProgressCallback = {}): Promise<FetchLocalResult> {
    return await progressResult(await this.send('POST', ROUTES.fetchLocal, jsonBody(request)), 'fetch', options)
  }

  /** A file by CID, or an encrypted one by its capability. */
  async fetch (target: string): Promise<FetchResponse> {
    return await fileResponse(await this.send('GET', `${ROUTES.fetch}/${encodeURIComponent(target)}`))
  }

  /** One file of a mirror set: `target` is PEERID/NAME[@SEQ]/PATH. */
  async fetchPath (target: string): Promise<MirrorFetchResponse> {
    const res = await this.send('GET', `${ROUTES.fetchPath}?${new URLSearchParams({ target }).toString()}`)
    const file = await fileResponse(res)
    return {
      ...file,
      address: decodeURIComponent(header(res, HEADER_ADDRESS)),
      publisher: header(res, HEADER_PUBLISHER),
      seq: Number(header(res, HEADER_SEQ)),
      path: decodeURIComponent(header(res, HEADER_PATH)),
      local: header(res, HEADER_LOCAL) === 'true'
    }
  }

  private async json<T> (method: string, path: string, body?: unknown): Promise<T> {
    return await readJson(await this.send(method, path, body === undefined ? undefined : jsonBody(body)))
  }

  private async send (method: string, path: string, body?: Readable | JsonBody): Promise<IncomingMessage> {
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${this.endpoint.token}` }
      if (body instanceof JsonBody) {
        headers['content-type'] = 'application/json'
        headers['content-length'] = body.bytes.length
      }
      const req = request(`${this.endpoint.url}${path}`, { method, headers }, resolve)
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') reject(new DaemonNotRunningError(this.repo, `nothing listens at ${this.endpoint.url} (stale ${API_FILE}?)`))
        else reject(err)
      })
      if (body === undefined) {
        req.end()
        return
      }
      if (body instanceof JsonBody) {
        req.end(body.bytes)
        return
      }
      body.on('error', (err) => { req.destroy(err) })
      body.pipe(req)
    })
  }
}

class JsonBody {
  constructor (readonly bytes: Buffer) {}
}

function jsonBody (value: unknown): JsonBody {
  return new JsonBody(Buffer.from(JSON.stringify(value)))
}

export interface ProgressCallback { onProgress?: (event: ProgressEvent) => void }

/** The result of an NDJSON answer (publish, share-local, fetch-local), its progress lines handed to `onProgress`. */
async function progressResult<T> (res: IncomingMessage, what: string, options: ProgressCallback): Promise<T> {
  if (res.statusCode !== 200) return await readJson(res)
  for await (const line of ndjsonLines(res)) {
    let parsed: ProgressLine<T>
    try {
      parsed = JSON.parse(line)
    } catch {
      throw new ProtocolError(`the daemon sent a ${what} line that is not JSON`)
    }
    if (typeof parsed !== 'object' || parsed === null) throw new ProtocolError(`the daemon sent a ${what} line that is not an object`)
    if ('progress' in parsed) {
      options.onProgress?.(parsed.progress)
      continue
    }
    // The last line: leaving the loop closes the answer.
    if ('result' in parsed) return parsed.result
    throw toError(parsed)
  }
  throw new ProtocolError(`the daemon ended the ${what} without a result`)
}

/** The lines of an NDJSON answer, each at most MAX_JSON_RESPONSE bytes. */
async function * ndjsonLines (res: IncomingMessage): AsyncGenerator<string> {
  let pending: Buffer = Buffer.alloc(0)
  for await (const chunk of res) {
    pending = pending.length === 0 ? chunk as Buffer : Buffer.concat([pending, chunk as Buffer])
    let end
    while ((end = pending.indexOf(0x0a)) !== -1) {
      const line = pending.subarray(0, end).toString('utf8')
      pending = pending.subarray(end + 1)
      if (line.trim() !== '') yield line
    }
    if (pending.length > MAX_JSON_RESPONSE) {
      res.destroy()
      throw new ProtocolError(`control API line over ${MAX_JSON_RESPONSE} bytes`)
    }
  }
  if (pending.toString('utf8').trim() !== '') yield pending.toString('utf8')
}

/** A streamed file answer (fetch, fetch-path): the headers to check it against, the body, and the trailer's report. */
async function fileResponse (res: IncomingMessage): Promise<FetchResponse> {
  if (res.statusCode !== 200) return await readJson(res)
  const name = res.headers[HEADER_NAME]
  const result = new Promise<FetchReport>((resolve, reject) => {
    res.once('end', () => {
      const trailer = res.trailers[TRAILER_RESULT]
      if (trailer === undefined) {
        reject(new ProtocolError('the daemon ended the fetch without a result'))
        return
      }
      try {
        const parsed = JSON.parse(trailer) as FetchReport | ErrorBody
        if ('error' in parsed) reject(toError(parsed))
        else resolve(parsed)
      } catch (err) {
        reject(new ProtocolError(`unreadable fetch result: ${(err as Error).message}`))
      }
    })
    res.once('error', reject)
    res.once('aborted', () => { reject(new ProtocolError('the daemon went away during the fetch')) })
  })
  result.catch(() => {}) // the caller awaits it after reading the body; don't crash on an early failure
  return {
    cid: header(res, HEADER_CID),
    size: Number(header(res, HEADER_SIZE)),
    sha256: typeof res.headers[HEADER_SHA256] === 'string' ? res.headers[HEADER_SHA256] : null,
    name: typeof name === 'string' ? decodeURIComponent(name) : null,
    body: res,
    result
  }
}

function header (res: IncomingMessage, name: string): string {
  const value = res.headers[name]
  if (typeof value !== 'string') {
    res.destroy()
    throw new ProtocolError(`the daemon's file answer lacks ${name}`)
  }
  return value
}

async function readJson<T> (res: IncomingMessage): Promise<T> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of res) {
    length += (chunk as Buffer).length
    if (length > MAX_JSON_RESPONSE) {
      res.destroy()
      throw new ProtocolError(`control API answer over ${MAX_JSON_RESPONSE} bytes`)
    }
    chunks.push(chunk as Buffer)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ProtocolError(`control API answered ${String(res.statusCode)} with a body that is not JSON`)
  }
  if ((res.statusCode ?? 500) >= 400) throw toError(value as ErrorBody)
  return value as T
}

/** The daemon's error, rebuilt with the same stable code so the CLI prints and exits as if it happened here. */
function toError (body: ErrorBody): EdgemirrorError {
  const e = body?.error
  if (typeof e?.code !== 'string') return new ProtocolError('control API failed without an error code')
  return new EdgemirrorError(e.code, String(e.message), e.details ?? {})
}
