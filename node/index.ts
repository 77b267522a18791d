// The library: `import { createNode } from 'edgemirror'` (package.json "exports"). A node in the calling process, the
// same one a daemon runs (EdgemirrorNode) without the control API, typed by the services' own option and result
// types. The polyfill comes first: ES modules run in import order, so Promise.withResolvers exists before libp2p runs.
import './polyfill.ts'
import type { ControlApi } from './api/types.ts'
import { daemonOptions, type DaemonOptions } from './daemon-options.ts'
import { EdgemirrorNode } from './edgemirror-node.ts'

export interface NodeOptions extends Partial<Omit<DaemonOptions, 'repo' | 'api'>> {
  /** The repo directory (identity, store), created if missing. One node per repo: a second one, here or in a daemon,
   *  fails with ERR_REPO_LOCKED. */
  repo: string
}

/**
 * A running node. Its calls are the control API's (ControlApi, node/api/types.ts), so each one the daemon's API gains
 * (`rm`, for one) is here too, with the same types: share, fetch, check, repair, status, peers, ls, id.
 */
export interface RunningNode extends ControlApi {
  readonly peerId: string
  /** Multiaddrs it listens on, each ending in /p2p/<peerId>: what peers dial (connect, bootstrap). */
  readonly addresses: string[]
  /** Dial a peer by multiaddr (/ip4/…/tcp/…/p2p/<peerId>); bootstrap addresses are dialled at start. */
  connect (multiaddr: string): Promise<void>
  /** Stop every service and the host, and release the repo. */
  stop (): Promise<void>
}

/** Open the repo, start a node on it and resolve once it listens. Options not given take the daemon's defaults
 *  (node/daemon-flags.ts), except the HTTP gateway, which is off unless `gateway` is given (an embedding process
 *  decides what it serves, and on which port); <repo>/config.json is the CLI's and is not read. */
export async function createNode (options: NodeOptions): Promise<RunningNode> {
  return await EdgemirrorNode.launch(daemonOptions(options.repo, { gateway: 'off', ...options }))
}

export { EdgemirrorError } from './errors.ts'
export type { CheckResult, ControlApi, FetchReport, FetchStart, FileView, IdResult, PeerView, RepairResult, ShardProof, ShareOptions, SharedFile, ShareResult, StatusResult } from './api/types.ts'
export type { ProgressEvent } from '../coder/progress.ts'
