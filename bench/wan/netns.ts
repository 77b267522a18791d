// Builds and removes the emulated WAN of bench/wan/profile.ts with `ip` and `tc` (iproute2), and says why it cannot
// when the machine does not allow it (not root, no ip or tc, no network namespaces, no netem in the kernel), so the
// benchmarks can fall back to loopback and say so. The network is emulated by the kernel around the daemons; nothing
// in the code under test knows about it.
//
// Namespaces are removed in destroy() (benchmarks call it from their cleanup, which their SIGINT/SIGTERM handlers
// run), and synchronously on process exit as a last resort. Namespaces left by a run whose process is gone (killed
// with SIGKILL, say) are removed before a new topology is built.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import {
  describeLinks, describePlan, execPrefix, namespaces, NAMESPACE_PREFIX, ownerPid, planWan, qdiscArgs, runId, setupCommands,
  type PeerLink, type Shaping, type WanPlan
} from './profile.ts'

const run = promisify(execFile)

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin']

/** Full path of `ip` or `tc`, or undefined. execFile gets the full path: root's PATH may lack /usr/sbin. */
export function tool (name: 'ip' | 'tc'): string | undefined {
  return SBIN.map(dir => `${dir}/${name}`).find(path => existsSync(path))
}

async function exec (argv: string[]): Promise<string> {
  const path = tool(argv[0] as 'ip' | 'tc') ?? argv[0]
  try {
    return (await run(path, argv.slice(1), { timeout: 10_000 })).stdout
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim()
    throw new Error(`${argv.join(' ')}: ${stderr !== '' ? stderr : (err as Error).message}`)
  }
}

function execSync (argv: string[]): void {
  try {
    execFileSync(tool(argv[0] as 'ip' | 'tc') ?? argv[0], argv.slice(1), { stdio: 'ignore', timeout: 10_000 })
  } catch {} // best effort at exit: nothing left to report to
}

let sequence = 0

/** Whether this process may build the topology with this shaping; the reason when not. Tries it: a probe namespace
 *  with a veth pair and the qdisc, removed again. */
export async function probeWan (shaping: Shaping): Promise<{ ok: true } | { ok: false, reason: string }> {
  const missing = [
    process.getuid?.() !== 0 ? 'not root' : '',
    tool('ip') === undefined ? 'no `ip` (iproute2)' : '',
    tool('tc') === undefined ? 'no `tc` (iproute2)' : ''
  ].filter(s => s !== '')
  if (missing.length > 0) return { ok: false, reason: missing.join(', ') }
  const probe = `${NAMESPACE_PREFIX}${runId(process.pid, sequence++)}-probe`
  try {
    await exec(['ip', 'netns', 'add', probe])
  } catch (err) {
    return { ok: false, reason: `cannot create a network namespace (${(err as Error).message})` }
  }
  try {
    await exec(['ip', '-n', probe, 'link', 'add', 'pa0', 'type', 'veth', 'peer', 'name', 'pb0'])
    const link: PeerLink = { index: 0, namespace: probe, address: '', tier: 'probe', oneWayMs: 1, rateMbit: 100 }
    try {
      await exec(['tc', '-n', probe, 'qdisc', 'add', 'dev', 'pa0', 'root', ...qdiscArgs(link, shaping)])
    } catch (err) {
      const why = shaping === 'netem' && /unknown/i.test((err as Error).message)
        ? 'the kernel has no netem qdisc (CONFIG_NET_SCH_NETEM not set), so no delay can be added'
        : 'the kernel refused the qdisc'
      return { ok: false, reason: `tc ${shaping === 'netem' ? 'netem' : 'tbf'} unavailable: ${why} (${(err as Error).message})` }
    }
    return { ok: true }
  } catch (err) {
    return { ok: false, reason: `cannot create a veth pair in a namespace (${(err as Error).message})` }
  } finally {
    await exec(['ip', 'netns', 'delete', probe]).catch(() => {})
  }
}

async function listNamespaces (): Promise<string[]> {
  // `ip netns list` prints "name" or "name (id: N)" per line.
  return (await exec(['ip', 'netns', 'list'])).split('\n').map(l => l.trim().split(/\s+/)[0]).filter(n => n !== undefined && n !== '')
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** SIGKILL what still runs inside a namespace of ours (daemons of a run that died, or that did not stop), then
 *  delete it. Every such process was started inside it by a bench run. */
async function removeNamespace (name: string): Promise<void> {
  const pids = (await exec(['ip', 'netns', 'pids', name]).catch(() => '')).split('\n').map(Number).filter(p => Number.isInteger(p) && p > 0)
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL') } catch {} // gone meanwhile
  }
  await exec(['ip', 'netns', 'delete', name])
}

/** Delete the emwan-* namespaces whose run's process is gone. Returns their names. */
export async function removeStaleNamespaces (): Promise<string[]> {
  const stale = (await listNamespaces()).filter(name => {
    const pid = ownerPid(name)
    return pid !== undefined && pid !== process.pid && !alive(pid)
  })
  for (const name of stale) await removeNamespace(name)
  return stale
}

/** A built topology: what DaemonSwarm needs to put daemon i into its namespace (test/harness/daemon-swarm.ts SwarmNetwork). */
export class WanTopology {
  private destroyed = false
  private readonly onExit = (): void => { this.destroySync() }

  private constructor (readonly plan: WanPlan) {
    process.on('exit', this.onExit)
  }

  /** Build a topology of `count` peers; stale namespaces of dead runs are removed first. On failure, whatever was
   *  built is removed before the error is thrown. */
  static async create (count: number, shaping: Shaping, progress: (text: string) => void = () => {}): Promise<WanTopology> {
    const stale = await removeStaleNamespaces()
    if (stale.length > 0) progress(`removed stale namespaces of earlier runs: ${stale.join(', ')}`)
    const topology = new WanTopology(planWan(runId(process.pid, sequence++), count, shaping))
    try {
      for (const command of setupCommands(topology.plan)) await exec(command)
    } catch (err) {
      await topology.destroy()
      throw err
    }
    progress(`emulated WAN: ${describePlan(topology.plan)}`)
    return topology
  }

  get profile (): 'wan' | 'wan-rate-only' {
    return this.plan.shaping === 'netem' ? 'wan' : 'wan-rate-only'
  }

  describe (): string {
    return describePlan(this.plan)
  }

  host (i: number): string {
    return this.plan.peers[i].address
  }

  prefix (i: number): string[] {
    const [ip, ...rest] = execPrefix(this.plan, i)
    return [tool('ip') ?? ip, ...rest]
  }

  link (i: number): PeerLink {
    return this.plan.peers[i]
  }

  /** Remove every namespace (and so every veth and qdisc) of the topology, killing what still runs in them. */
  async destroy (): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    process.off('exit', this.onExit)
    const errors: string[] = []
    const existing = new Set(await listNamespaces().catch(() => namespaces(this.plan)))
    for (const name of namespaces(this.plan).filter(n => existing.has(n))) {
      await removeNamespace(name).catch((err) => { errors.push((err as Error).message) })
    }
    if (errors.length > 0) throw new Error(`could not remove every namespace: ${errors.join('; ')}`)
  }

  /** The same, synchronously, for process exit (no event loop left for destroy()). */
  destroySync (): void {
    if (this.destroyed) return
    this.destroyed = true
    for (const name of namespaces(this.plan)) {
      try {
        const pids = execFileSync(tool('ip') ?? 'ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        for (const pid of pids.split('\n').map(Number).filter(p => Number.isInteger(p) && p > 0)) {
          try { process.kill(pid, 'SIGKILL') } catch {} // gone meanwhile
        }
      } catch {} // no such namespace
      execSync(['ip', 'netns', 'delete', name])
    }
  }
}

/** Why the network is what it is, for the benches and the report. */
export interface NetworkChoice {
  profile: 'loopback' | 'wan' | 'wan-rate-only'
  reason: string
}

/** What a bench asked for with --wan or --wan-rate-only and whether this machine can do it (probed for real), or
 *  loopback with the reason. */
export async function probeNetwork (request: { wan: boolean, wanRateOnly: boolean }): Promise<NetworkChoice & { shaping?: Shaping, flag?: string }> {
  if (!request.wan && !request.wanRateOnly) return { profile: 'loopback', reason: '--wan not given' }
  const shaping: Shaping = request.wan ? 'netem' : 'rate-only'
  const flag = request.wan ? '--wan' : '--wan-rate-only'
  const probe = await probeWan(shaping)
  if (!probe.ok) {
    const hint = shaping === 'netem' && /netem/.test(probe.reason) ? '; --wan-rate-only runs the same namespaces with rate-limited links and no delay' : ''
    return { profile: 'loopback', reason: `${flag} given, but ${probe.reason}${hint}` }
  }
  return { profile: shaping === 'netem' ? 'wan' : 'wan-rate-only', reason: `${flag}: ${describeLinks(shaping)}`, shaping, flag }
}

/** The topology a bench asked for, built for `count` daemons, or loopback with the reason (printed). */
export async function chooseNetwork (request: { wan: boolean, wanRateOnly: boolean }, count: number, progress: (text: string) => void): Promise<{ choice: NetworkChoice, topology?: WanTopology }> {
  const { shaping, flag, ...choice } = await probeNetwork(request)
  if (shaping === undefined || flag === undefined) {
    if (request.wan || request.wanRateOnly) progress(`${choice.reason}: loopback only`)
    return { choice }
  }
  const topology = await WanTopology.create(count, shaping, progress)
  return { choice: { profile: choice.profile, reason: `${flag}: ${topology.describe()}` }, topology }
}
