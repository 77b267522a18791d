// Test helper: a swarm of real edgemirror nodes in this process, on 127.0.0.1 port 0, with temp repos.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DaemonOptions } from '../../node/daemon-options.ts'
import { EdgemirrorNode, type NodeRuntime } from '../../node/edgemirror-node.ts'
import { waitFor } from '../harness/poll.ts'

export interface TestSwarm {
  nodes: EdgemirrorNode[]
  repos: string[]
  /** Stop node i (as if the machine went away); its repo stays. */
  kill (i: number): Promise<void>
  /** Indexes of the nodes not killed. */
  alive (): number[]
  /** Start node i again on its old repo (same peer id, same shards) and connect it to the live nodes. */
  restart (i: number): Promise<void>
  stop (): Promise<void>
}

/**
 * Failure detection for swarm tests that kill nodes: heartbeats every 250 ms, dead after 4 s of silence, no grace, no
 * scrub pass during a test. 4 s, not the ~1 s a quiet machine would allow: with a second test suite beside this one on
 * 2 cores an event loop can stall for over a second, and a live holder read as dead gets its shards rebuilt elsewhere
 * (extra copies, repairs nobody asked for), which is a different test.
 */
export const FAST_DETECTION: Partial<DaemonOptions> = { heartbeatMs: 250, deadAfterMs: 4000, repairGraceMs: 0, scrubIntervalMs: 60 * 60_000 }

/** `runtime`: what node i runs with besides its options (an event log to capture, say), also when restarted. */
export async function startSwarm (count: number, overrides: (i: number) => Partial<DaemonOptions> = () => ({}), runtime: (i: number) => NodeRuntime = () => ({})): Promise<TestSwarm> {
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-swarm-'))
  const nodes: EdgemirrorNode[] = []
  const repos: string[] = []
  const stopped = new Set<number>()
  const swarm: TestSwarm = {
    nodes,
    repos,
    async kill (i) {
      if (stopped.has(i)) return
      stopped.add(i)
      await nodes[i].stop()
    },
    alive () {
      return nodes.map((_, i) => i).filter(i => !stopped.has(i))
    },
    async restart (i) {
      if (!stopped.has(i)) return
      nodes[i] = await EdgemirrorNode.create(optionsFor(i), runtime(i))
      await nodes[i].start()
      stopped.delete(i)
      for (const j of swarm.alive()) if (j !== i) await connectPair(nodes[i], nodes[j])
    },
    async stop () {
      try {
        await Promise.all(nodes.map(async (_, i) => { await swarm.kill(i) }))
      } finally {
        // Also when a node's stop failed (it was still stopped as far as it could be): the repos go either way.
        await rm(root, { recursive: true, force: true })
      }
    }
  }
  const optionsFor = (i: number): DaemonOptions => ({
    repo: repos[i], listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0', gatewayMaxStreams: 64, cacheSize: 0, metrics: true, bootstrap: [], zone: `zone-${i}`, region: 'local', capacity: null, mdns: false, carbon: 100, ...overrides(i)
  })
  try {
    for (let i = 0; i < count; i++) {
      repos.push(join(root, `node-${i}`))
      const node = await EdgemirrorNode.create(optionsFor(i), runtime(i))
      nodes.push(node)
      await node.start()
    }
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) await connectPair(nodes[i], nodes[j])
    }
    await waitFor(async () => {
      for (const node of nodes) if ((await node.peers()).length < count - 1) return false
      return true
    }, 20_000, 'every node to know every peer')
  } catch (err) {
    await swarm.stop()
    throw err
  }
  return swarm
}

/** Run `body` on a swarm of `count` nodes that all get `options`, and stop the swarm whatever happens. */
export async function withSwarm (count: number, options: Partial<DaemonOptions>, body: (swarm: TestSwarm) => Promise<void>): Promise<void> {
  const swarm = await startSwarm(count, () => options)
  try {
    await body(swarm)
  } finally {
    await swarm.stop()
  }
}

/** Connect two nodes. Their mesh keepers dial each other too, and a dial that crosses one of theirs can be closed
 *  during the handshake (libp2p's "Remote closed connection during opening", seen on a loaded machine): an existing
 *  connection in either direction will do, and a crossed dial is tried again. */
async function connectPair (a: EdgemirrorNode, b: EdgemirrorNode): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (a.host.getConnections(b.host.peerId).length > 0) return
    try {
      await a.connect(b.addresses[0])
      return
    } catch (err) {
      if (attempt >= 5) throw err
      await new Promise(resolve => setTimeout(resolve, 100 * attempt))
    }
  }
}

export { waitFor }

/** How long any service, node or daemon may take to stop, whatever it is doing (issue #13: every stop is bounded). */
export const STOP_DEADLINE_MS = 10_000

/** `promise`, or a rejection naming `what` once `ms` have passed (a deadline on an operation, not a timing assert). */
export async function withDeadline<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what} did not finish within ${ms} ms`)) }, ms) })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

export async function * chunksOf (data: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < data.byteLength; o += size) yield data.subarray(o, Math.min(o + size, data.byteLength))
}

export async function collect (body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of body) parts.push(Buffer.from(chunk))
  return Buffer.concat(parts)
}
