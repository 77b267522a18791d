// A swarm of real `edgemirror daemon` processes on 127.0.0.1 (or each in a network namespace of an emulated WAN,
// bench/wan/) that can lose members and get them back: the chaos suite (test/chaos/), bench/repair.ts and
// bench/transfer.ts drive it. Each daemon listens on a fixed port chosen at start, so a daemon
// restarted on its repo (`spawnDaemon(repo, [])`: config.json keeps every flag) comes back at the same address and
// the peers that knew it redial it by its id, whoever else is down at that moment.
import { readdir } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { join } from 'node:path'
import { ApiClient } from '../../node/api/client.ts'
import { runCli, spawnDaemon, type CliResult, type DaemonProcess, type NodeProcessOptions } from './daemon-process.ts'

/** The demo's failure detection (test/harness/demo.ts): heartbeats every 500 ms, dead after 3 s of silence, no grace, repair
 *  traffic capped far above what loopback needs. The defaults (5 s, 60 s, 60 s grace, 5 MB/s) are for real edges. */
export const FAST_REPAIR_FLAGS = ['--heartbeat', '500ms', '--dead-after', '3s', '--repair-grace', '0s', '--repair-rate', '200MB/s']

/** A mesh of 12 daemons forms in seconds idle and in about half a minute on 2 busy cores; four times that is broken. */
const MESH_DEADLINE_MS = 120_000
const POLL_MS = 250
/** Daemons bootstrapping at once: below libp2p's 5 inbound connections per second per host. */
const START_BATCH = 3
/** A daemon's clean stop closes its connections and its store: seconds even under load. */
const STOP_GRACE_MS = 30_000

export interface DaemonSwarmOptions {
  /** Parent directory of the repos (peer-0, peer-1, …); the caller creates and removes it. */
  root: string
  count: number
  /** Flags for daemon i beyond --listen, --zone z<i> and --bootstrap (e.g. FAST_REPAIR_FLAGS). */
  flags?: (i: number) => string[]
  /** Added to every daemon's and CLI's environment (e.g. bench/cpu-profile.mjs's variables). */
  env?: NodeJS.ProcessEnv
  /** Where each daemon lives; default LOOPBACK. bench/wan/netns.ts's WanTopology puts each in a namespace of its own. */
  network?: SwarmNetwork
  progress?: (text: string) => void
}

/** The network a swarm runs on: the address daemon i listens on, and the command prefix that runs a process (the
 *  daemon, and every CLI talking to it: the control API is on its 127.0.0.1) in daemon i's network. */
export interface SwarmNetwork {
  host: (i: number) => string
  prefix: (i: number) => string[]
}

export const LOOPBACK: SwarmNetwork = { host: () => '127.0.0.1', prefix: () => [] }

export type DaemonState = 'up' | 'killed' | 'stalled'

export interface StoredShard { daemon: number, index: number, path: string }

export class DaemonSwarm {
  private readonly states: DaemonState[]

  private constructor (readonly daemons: DaemonProcess[], readonly repos: string[], private readonly options: DaemonSwarmOptions, private readonly progress: (text: string) => void) {
    this.states = daemons.map(() => 'up')
  }

  /** Start `count` daemons (peer 0 first, the others bootstrapping through it) and wait until each sees all others.
   *  On failure every daemon already started is stopped before the error is thrown. */
  static async start (options: DaemonSwarmOptions): Promise<DaemonSwarm> {
    const { root, count } = options
    const progress = options.progress ?? (() => {})
    const ports = await freePorts(count)
    const repos = ports.map((_, i) => join(root, `peer-${i}`))
    const daemons: DaemonProcess[] = []
    const network = options.network ?? LOOPBACK
    const spawn = async (i: number, bootstrap: string[]): Promise<void> => {
      // Fixed ports are chosen free on 127.0.0.1; in a namespace of its own every port is free anyway.
      daemons[i] = await spawnDaemon(repos[i], ['--listen', `/ip4/${network.host(i)}/tcp/${ports[i]}`, '--zone', `z${i}`, ...bootstrap, ...(options.flags?.(i) ?? [])],
        { env: options.env, prefix: network.prefix(i) })
    }
    try {
      await spawn(0, [])
      // In batches: libp2p refuses more than 5 inbound connections per second from one host (its
      // inboundConnectionThreshold), on loopback every peer is that one host, and a refused bootstrap is not retried.
      for (let first = 1; first < count; first += START_BATCH) {
        const batch = Array.from({ length: Math.min(START_BATCH, count - first) }, (_, j) => first + j)
        // allSettled: a daemon that fails to start must not leave the others starting unseen by the cleanup.
        const started = await Promise.allSettled(batch.map(async i => { await spawn(i, ['--bootstrap', daemons[0].addresses[0]]) }))
        const failed = started.find(r => r.status === 'rejected')
        if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
      }
      const swarm = new DaemonSwarm(daemons, repos, options, progress)
      progress(`${count} daemons started, waiting for the full mesh`)
      await swarm.waitForMesh()
      return swarm
    } catch (err) {
      await Promise.all(daemons.filter(d => d !== undefined).map(async d => { await d.kill() }))
      throw err
    }
  }

  get size (): number { return this.daemons.length }

  /** Environment and command prefix of a process that talks to daemon i (or is it). */
  processOptions (i: number): NodeProcessOptions {
    return { env: this.options.env, prefix: (this.options.network ?? LOOPBACK).prefix(i) }
  }

  state (i: number): DaemonState { return this.states[i] }

  /** Daemons running and not stopped: the ones that answer. */
  up (): number[] { return this.indexes('up') }

  /** Killed or stalled: the ones that hold their shards hostage. */
  down (): number[] { return this.daemons.map((_, i) => i).filter(i => this.states[i] !== 'up') }

  indexes (state: DaemonState): number[] { return this.daemons.map((_, i) => i).filter(i => this.states[i] === state) }

  /** Index of the daemon with this peer id, or -1. */
  byPeer (peerId: string): number { return this.daemons.findIndex(d => d.peerId === peerId) }

  /** A daemon that exited on its own (not by kill or stop): a crash. Its stderr tail is the evidence. */
  crashed (): Array<{ index: number, code: number | null, signal: string | null, stderrTail: string }> {
    return this.up().filter(i => this.daemons[i].child.exitCode !== null || this.daemons[i].child.signalCode !== null).map(i => ({
      index: i, code: this.daemons[i].child.exitCode, signal: this.daemons[i].child.signalCode, stderrTail: this.daemons[i].stderr().slice(-4000)
    }))
  }

  /** The shards of `cid` on every daemon's disk (store/shards/<cid>/<index>), up or down: what the repos hold,
   *  whatever any daemon believes. */
  async storedShards (cid: string): Promise<StoredShard[]> {
    const held: StoredShard[] = []
    for (const [daemon, repo] of this.repos.entries()) {
      const dir = join(repo, 'store', 'shards', cid)
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (/^\d+$/.test(name)) held.push({ daemon, index: Number(name), path: join(dir, name) })
      }
    }
    return held
  }

  /** `edgemirror ...args --repo <daemon i>` to completion. */
  async cli (i: number, args: string[]): Promise<CliResult> {
    return await runCli([...args, '--repo', this.repos[i]], this.processOptions(i))
  }

  /** `status --json` of daemon i; throws if the CLI fails. */
  /** `status --json` of daemon i: from its control API directly on loopback (a CLI process costs ~0.5 s of CPU to
   *  start, 2–3 s of wall time on a loaded machine, and the chaos suite and the benches poll status a lot), through
   *  the CLI in the daemon's network otherwise (on the emulated WAN the API listens on a namespace's 127.0.0.1). */
  async status (i: number): Promise<any> {
    if (this.processOptions(i).prefix?.length === 0) return await (await ApiClient.connect(this.repos[i])).status()
    const result = await this.cli(i, ['status', '--json'])
    if (result.code !== 0 || result.json === undefined) throw new Error(`status of peer ${i} failed (exit ${result.code}): ${result.stderr.trim()}`)
    return result.json
  }

  /** SIGKILL: the machine went away. */
  async kill (i: number): Promise<void> {
    await this.daemons[i].kill()
    this.states[i] = 'killed'
  }

  /** SIGSTOP: the machine hangs (swapping, a stuck disk); its connections stay open and unanswered. */
  stall (i: number): void {
    if (this.states[i] !== 'up') throw new Error(`peer ${i} is ${this.states[i]}, cannot stall it`)
    this.daemons[i].child.kill('SIGSTOP')
    this.states[i] = 'stalled'
  }

  /** SIGCONT a stalled daemon. */
  resume (i: number): void {
    if (this.states[i] !== 'stalled') return
    this.daemons[i].child.kill('SIGCONT')
    this.states[i] = 'up'
  }

  /** Start a killed daemon again on its repo: same identity, same address, the shards it had on disk. */
  async restart (i: number): Promise<void> {
    if (this.states[i] !== 'killed') throw new Error(`peer ${i} is ${this.states[i]}, cannot restart it`)
    this.daemons[i] = await spawnDaemon(this.repos[i], [], this.processOptions(i))
    this.states[i] = 'up'
  }

  /** Every live daemon's `status` counts every other live daemon. */
  async waitForMesh (deadlineMs = MESH_DEADLINE_MS): Promise<void> {
    const deadline = Date.now() + deadlineMs
    const want = this.up().length - 1
    for (const i of this.up()) {
      for (;;) {
        const peers = (await this.status(i)).peers as number
        if (peers >= want) break
        if (Date.now() > deadline) throw new Error(`peer ${i} sees ${peers} of ${want} peers after ${deadlineMs} ms`)
        await pause(POLL_MS)
      }
    }
  }

  /** Stop every daemon (DaemonProcess.stop resumes a stalled one after its SIGTERM). A daemon still running
   *  STOP_GRACE_MS after its SIGTERM is SIGKILLed and named in the answer: a clean stop should not hang. Never throws. */
  async stop (): Promise<Array<{ index: number, stderrTail: string }>> {
    const hung: Array<{ index: number, stderrTail: string }> = []
    await Promise.all(this.daemons.map(async (d, i) => {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>(resolve => { timer = setTimeout(() => { resolve('late') }, STOP_GRACE_MS) })
      const outcome = await Promise.race([d.stop().catch((err) => { this.progress(`stopping peer ${i}: ${(err as Error).message}`) }), late])
      clearTimeout(timer)
      if (outcome === 'late') {
        hung.push({ index: i, stderrTail: d.stderr().slice(-4000) })
        this.progress(`peer ${i} still running ${STOP_GRACE_MS} ms after SIGTERM: SIGKILL`)
        await d.kill()
      }
    }))
    return hung
  }
}

export async function pause (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Fixed ports come from below Linux's ephemeral range (32768–60999 by default, ip_local_port_range): a port the
 *  kernel hands out would be free when chosen and could be taken by some outgoing connection's local end before its
 *  daemon listens (seen: EADDRINUSE with 12 daemons dialing each other). */
const PORT_RANGE = { from: 20_000, to: 32_768 }

/** `count` distinct free TCP ports on 127.0.0.1 (all held open until all are chosen, so none repeats). */
async function freePorts (count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    while (servers.length < count) {
      const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from))
      const server = createServer()
      const bound = await new Promise<boolean>((resolve) => { server.once('error', () => { resolve(false) }).listen(port, '127.0.0.1', () => { resolve(true) }) })
      if (bound) servers.push(server)
    }
    return servers.map(s => (s.address() as AddressInfo).port)
  } finally {
    await Promise.all(servers.map(async s => { await new Promise(resolve => s.close(resolve)) }))
  }
}
