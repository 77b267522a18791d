// One daemon per repo. Two daemons on one repo would share an identity and a store, and the second one's exit would
// delete the first one's api.json. The lock is a Unix socket in Linux's abstract namespace, named after the repo's
// real path: binding is atomic (EADDRINUSE for the second daemon), and the kernel releases the name when the process
// ends however it ends, SIGKILL included, so there is no stale lock file to clean up (unix(7), "Abstract sockets").
// Abstract names are per network namespace: daemons in different namespaces (bench/wan/) must use different repos.
import { createHash } from 'node:crypto'
import { mkdir, realpath } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { EdgemirrorError } from './errors.ts'

export class RepoLockedError extends EdgemirrorError {
  constructor (repo: string) {
    super('ERR_REPO_LOCKED', `another edgemirror daemon is running on ${repo}; stop it first (or use another --repo)`, { repo })
  }
}

export interface RepoLock {
  release (): Promise<void>
}

/** Take the repo's lock (creating the repo directory if needed), or throw RepoLockedError at once. */
export async function lockRepo (repo: string): Promise<RepoLock> {
  await mkdir(repo, { recursive: true, mode: 0o700 })
  const real = await realpath(repo)
  const name = `\0edgemirror-repo-${createHash('sha256').update(real).digest('hex').slice(0, 40)}`
  const server: Server = createServer((socket) => { socket.destroy() }) // nobody talks to it; it only holds the name
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => { reject(err.code === 'EADDRINUSE' ? new RepoLockedError(real) : err) })
    server.listen({ path: name, exclusive: true }, resolve)
  })
  server.unref() // holding the lock must not keep a stopped daemon's process alive
  return {
    release: async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }) }) }
  }
}
