// `edgemirror daemon`: start a node and its control API; stop both cleanly.
import { logger } from '@libp2p/logger'
import { startControlServer } from './api/server.ts'
import type { DaemonOptions } from './daemon-options.ts'
import { EdgemirrorNode } from './edgemirror-node.ts'
import { UsageError } from './errors.ts'

const log = logger('edgemirror:daemon')

export interface RunningDaemon {
  node: EdgemirrorNode
  peerId: string
  addresses: string[]
  apiUrl: string
  stop (): Promise<void>
}

export async function startDaemon (options: DaemonOptions): Promise<RunningDaemon> {
  const [host, portText] = splitHostPort(options.api)
  // First, before anything in the repo is read or written, the node takes the repo's lock: a second daemon on it fails
  // here, leaving the first alone.
  const node = await EdgemirrorNode.launch(options)
  try {
    const api = await startControlServer({ api: node, host, port: Number(portText), repo: options.repo })
    return {
      node,
      peerId: node.peerId,
      addresses: node.addresses,
      apiUrl: api.url,
      stop: async () => {
        try {
          await api.stop()
        } finally {
          await node.stop()
        }
      }
    }
  } catch (err) {
    // The API failed to start: report that, not a failure to stop on the way out (which is logged).
    await node.stop().catch((stopErr: Error) => { log.error('stopping after a failed start: %s', stopErr.message) })
    throw err
  }
}

function splitHostPort (value: string): [string, string] {
  const at = value.lastIndexOf(':')
  const host = value.slice(0, at).replace(/^\[|\]$/g, '')
  const port = value.slice(at + 1)
  if (at <= 0 || !/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`--api wants HOST:PORT, got ${JSON.stringify(value)}`)
  return [host, port]
}
