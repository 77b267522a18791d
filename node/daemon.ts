// `edgemirror daemon`: start a node and its control API; stop both cleanly.
import { logger } from '@libp2p/logger'
import { startControlServer } from './api/server.ts'
import type { DaemonOptions } from './daemon-options.ts'
import { EdgemirrorNode, type NodeRuntime } from './edgemirror-node.ts'
import { splitHostPort } from './host-port.ts'
import { failureFields, silentLog } from './event-log.ts'

const log = logger('edgemirror:daemon')

export interface RunningDaemon {
  node: EdgemirrorNode
  peerId: string
  addresses: string[]
  apiUrl: string
  stop (): Promise<void>
}

export async function startDaemon (options: DaemonOptions, runtime: NodeRuntime = {}): Promise<RunningDaemon> {
  const events = runtime.log ?? silentLog
  const { host, port } = splitHostPort('--api', options.api)
  // First, before anything in the repo is read or written, the node takes the repo's lock: a second daemon on it fails
  // here, leaving the first alone.
  const node = await EdgemirrorNode.launch(options, runtime)
  try {
    const api = await startControlServer({ api: node, host, port, repo: options.repo })
    const peer = node.peerId
    events.info('daemon.start', { peer, addresses: node.addresses, api: api.url, repo: options.repo, zone: options.zone, region: options.region })
    return {
      node,
      peerId: node.peerId,
      addresses: node.addresses,
      apiUrl: api.url,
      stop: async () => {
        try {
          await api.stop()
        } finally {
          try {
            await node.stop()
            events.info('daemon.stop', { peer, repo: options.repo })
          } catch (err) {
            events.error('daemon.stop', { peer, repo: options.repo, ...failureFields(err) })
            throw err
          }
        }
      }
    }
  } catch (err) {
    // The API failed to start: report that, not a failure to stop on the way out (which is logged).
    await node.stop().catch((stopErr: Error) => { log.error('stopping after a failed start: %s', stopErr.message) })
    throw err
  }
}
