// Where a repo's daemon answers: <repo>/api.json, written by the daemon (mode 0600) and read by the CLI.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DaemonNotRunningError } from '../errors.ts'

export const API_FILE = 'api.json'

export interface ApiEndpoint {
  /** http://127.0.0.1:PORT */
  url: string
  /** Bearer token: anyone who can read the repo dir may control the node, no one else. */
  token: string
  pid: number
}

/** Largest api.json we read: it holds a URL, a token and a pid, well under 1 KiB. */
const MAX_ENDPOINT_BYTES = 4096

export async function readEndpoint (repo: string): Promise<ApiEndpoint> {
  let text: string
  try {
    text = await readFile(join(repo, API_FILE), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new DaemonNotRunningError(repo, code === 'ENOENT' ? `no ${API_FILE} (start one with: edgemirror daemon --repo ${repo})` : (err as Error).message)
  }
  let value: unknown
  try {
    if (text.length > MAX_ENDPOINT_BYTES) throw new Error('too large')
    value = JSON.parse(text)
  } catch (err) {
    throw new DaemonNotRunningError(repo, `${API_FILE} is unreadable: ${(err as Error).message}`)
  }
  const e = value as Partial<ApiEndpoint>
  if (typeof e?.url !== 'string' || !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/.test(e.url) || typeof e.token !== 'string' || !/^[0-9a-f]{64}$/.test(e.token)) {
    throw new DaemonNotRunningError(repo, `${API_FILE} does not name a loopback control API`)
  }
  return { url: e.url, token: e.token, pid: typeof e.pid === 'number' ? e.pid : 0 }
}
