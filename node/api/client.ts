// The CLI's side of the control API: finds the daemon through <repo>/api.json and speaks HTTP to it. File bodies
// stream both ways; nothing here holds a whole file.
import { request, type IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { DaemonNotRunningError, EdgemirrorError, ProtocolError } from '../errors.ts'
import { API_FILE, readEndpoint, type ApiEndpoint } from './endpoint.ts'
import { HEADER_NAME, HEADER_SHA256, HEADER_SIZE, ROUTES, TRAILER_RESULT, type ErrorBody } from './routes.ts'
import type { CheckResult, FetchReport, FileView, IdResult, PeerView, RepairResult, RmResult, SharedFile, StatusResult } from './types.ts'

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
}

export interface FetchResponse {
  size: number
  sha256: string
  name: string | null
  body: IncomingMessage
  /** Resolves with the report once the body has been read to its end; rejects if the daemon could not rebuild. */
  result: Promise<FetchReport>
}

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

  async fetch (cid: string): Promise<FetchResponse> {
    const res = await this.send('GET', `${ROUTES.fetch}/${encodeURIComponent(cid)}`)
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
      size: Number(res.headers[HEADER_SIZE]),
      sha256: String(res.headers[HEADER_SHA256]),
      name: typeof name === 'string' ? decodeURIComponent(name) : null,
      body: res,
      result
    }
  }

  private async json<T> (method: string, path: string): Promise<T> {
    return await readJson(await this.send(method, path))
  }

  private async send (method: string, path: string, body?: Readable): Promise<IncomingMessage> {
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${this.endpoint.url}${path}`, { method, headers: { authorization: `Bearer ${this.endpoint.token}` } }, resolve)
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') reject(new DaemonNotRunningError(this.repo, `nothing listens at ${this.endpoint.url} (stale ${API_FILE}?)`))
        else reject(err)
      })
      if (body === undefined) {
        req.end()
        return
      }
      body.on('error', (err) => { req.destroy(err) })
      body.pipe(req)
    })
  }
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
