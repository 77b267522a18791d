// Real daemons and CLI runs as child processes: what the demo, the end-to-end tests and the benchmarks drive, so
// they exercise exactly what a user runs (the compiled `edgemirror` bin, its flags, its JSON output, its exit codes).
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { STREAMING_NODE_FLAGS } from '../../node/heap-tuning.ts'
import { ensureBuilt } from './build.ts'

ensureBuilt()

/** The `edgemirror` bin entry (package.json "bin"): the compiled CLI, no TypeScript loader. */
export const CLI_PATH = fileURLToPath(new URL('../../dist/node/cli/edgemirror.js', import.meta.url))

/** Carries this process's pid to the children it starts, for test/harness/exit-with-parent.ts. */
export const EXIT_WITH_PARENT_ENV = 'EDGEMIRROR_EXIT_WITH_PARENT'

/** `node` flags for TypeScript harness scripts: the loader (resolved here, not from the child's working directory,
 *  which need not hold node_modules), the polyfill (node/polyfill.ts), and the preload that stops the script when
 *  this process exits (test/harness/exit-with-parent.ts; give the child `childEnv()`). */
export const SCRIPT_IMPORTS = ['--import', import.meta.resolve('tsx'), '--import', fileURLToPath(new URL('../../node/polyfill.ts', import.meta.url)),
  '--import', fileURLToPath(new URL('./exit-with-parent.ts', import.meta.url))]

/** `node` arguments that run a TypeScript harness script. */
export function scriptArgs (script: string, args: string[] = []): string[] {
  return [...SCRIPT_IMPORTS, script, ...args]
}

/** The environment of a child of this harness: this process's, `extra`, and this process's pid, so a child started
 *  with scriptArgs() exits when this process does. */
export function childEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, [EXIT_WITH_PARENT_ENV]: String(process.pid) }
}

/** A daemon that starts slower than this is broken: start-up is a key load, a listen and a file write. */
const READY_TIMEOUT_MS = 60_000

export interface DaemonProcess {
  repo: string
  peerId: string
  /** Multiaddrs including /p2p/<peerId>, as peers dial them. */
  addresses: string[]
  api: string
  /** The HTTP gateway's base URL, or null when started with --gateway off. */
  gateway: string | null
  pid: number
  child: ChildProcess
  /** Everything the daemon wrote on stderr (its logs), for failure reports. */
  stderr: () => string
  /** SIGTERM and wait: a clean stop. */
  stop (): Promise<void>
  /** SIGKILL and wait: the machine went away. */
  kill (): Promise<void>
}

export interface NodeProcessOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv
  /** A command that runs `node` for us, e.g. ['ip', 'netns', 'exec', 'ns-1'] to start it inside a network
   *  namespace (the benchmarks' emulated WAN, bench/wan/). It must exec node in place, as `ip netns exec` does, so
   *  the child's pid is node's: signals, peak RSS from /proc/<pid> and exit codes then mean what they do without it. */
  prefix?: string[]
}

export interface CliOptions extends NodeProcessOptions {
  /** Written to the command's standard input (else it has none). */
  input?: Uint8Array | string
  /** Kill the command (SIGKILL, code -1) if it has not exited by then: for tests of commands that must exit at once. */
  timeoutMs?: number
}

/** spawn() arguments that run `node ...args` with the streaming heap flags (node/heap-tuning.ts), under `prefix`
 *  when one is given. */
export function nodeCommand (args: string[], prefix: string[] = []): [command: string, args: string[]] {
  const node = [process.execPath, ...STREAMING_NODE_FLAGS, ...args]
  return prefix.length > 0 ? [prefix[0], [...prefix.slice(1), ...node]] : [node[0], node.slice(1)]
}

/**
 * Run a command in a process group of its own, in this process's session: `setpgrp` then exec, so the pid stays the
 * command's. Node's `detached` would also start a new session, and the kernel's rule below only holds within one.
 * perl because Node has no setpgid(2) and perl-base is in every Debian install (Essential: yes).
 */
const OWN_PROCESS_GROUP = ['perl', '-e', 'setpgrp; exec @ARGV or die "exec: $!"']

/**
 * Start `edgemirror daemon` on `repo` and wait until it is ready. It never outlives this process: it runs with
 * `--exit-with-parent` (a clean stop once this process has exited, however: SIGKILL, a test runner's timeout), and in a
 * process group of its own, so that a daemon stopped with SIGSTOP (a stall, test/harness/daemon-swarm.ts) when this process
 * dies gets SIGHUP then SIGCONT from the kernel (its group is orphaned with a stopped member, POSIX.1-2017 _exit(),
 * Linux kill_orphaned_pgrp()) and ends instead of staying stopped forever.
 */
export async function spawnDaemon (repo: string, args: string[] = [], options: NodeProcessOptions = {}): Promise<DaemonProcess> {
  // The gateway's default port is fixed (4080): many daemons on one machine each take a free one, unless told.
  const gateway = args.includes('--gateway') ? [] : ['--gateway', '127.0.0.1:0']
  const child = spawn(...nodeCommand([CLI_PATH, 'daemon', '--repo', repo, '--json', '--exit-with-parent', String(process.pid), ...gateway, ...args], [...(options.prefix ?? []), ...OWN_PROCESS_GROUP]),
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = once(child, 'exit')
  const ready = await new Promise<{ peerId: string, addresses: string[], api: string, gateway: string | null }>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`daemon in ${repo} not ready after ${READY_TIMEOUT_MS} ms: ${stderr}`)) }, READY_TIMEOUT_MS)
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString()
      try {
        const value = JSON.parse(stdout)
        clearTimeout(timer)
        resolve(value)
      } catch {} // not a whole document yet
    })
    exited.then(([code]) => {
      clearTimeout(timer)
      reject(new Error(`daemon in ${repo} exited with ${String(code)} before it was ready: ${stderr}`))
    }).catch(() => {})
  }).catch(async (err) => {
    child.kill('SIGKILL')
    throw err
  })
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    child.kill('SIGCONT') // a stalled daemon (SIGSTOP) acts on the signal only once it runs again
    await exited
  }
  const daemon: DaemonProcess = {
    repo,
    ...ready,
    pid: child.pid ?? 0,
    child,
    stderr: () => stderr,
    stop: async () => { await end('SIGTERM') },
    kill: async () => { await end('SIGKILL') }
  }
  running.add(daemon)
  void exited.then(() => running.delete(daemon))
  return daemon
}

/** Daemons this process started that have not exited. */
const running = new Set<DaemonProcess>()

/** A clean stop of a daemon takes seconds even on a loaded machine; past this it is killed. */
const STOP_ALL_GRACE_MS = 20_000

/** Stop every daemon this process started and still runs (SIGTERM, SIGKILL after STOP_ALL_GRACE_MS): what a harness
 *  does on SIGINT/SIGTERM before it removes their repos and exits. */
async function stopAllDaemons (): Promise<void> {
  await Promise.all([...running].map(async (d) => {
    const timer = setTimeout(() => { d.child.kill('SIGKILL') }, STOP_ALL_GRACE_MS)
    await d.stop()
    clearTimeout(timer)
  }))
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON when it is JSON (--json), else undefined. */
  json: any
}

/** Run `edgemirror ...args` to completion. */
export async function runCli (args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(...nodeCommand([CLI_PATH, ...args], options.prefix), { stdio: [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  if (options.input !== undefined) child.stdin?.end(options.input)
  const timer = options.timeoutMs !== undefined ? setTimeout(() => { child.kill('SIGKILL') }, options.timeoutMs) : undefined
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {}
  return { code: code ?? -1, stdout, stderr, json }
}

/** Until the returned function is called: on SIGINT or SIGTERM (Ctrl-C, a test's timeout, a harness gone through
 *  test/harness/exit-with-parent.ts), stop this process's daemons, remove `dir` (their repos) and exit with 130. Any
 *  `process.on('exit')` hooks still run (bench/wan/ removes its namespaces in one). */
export function cleanUpOnInterrupt (dir: string): () => void {
  const interrupted = (): void => {
    void stopAllDaemons().finally(() => {
      rmSync(dir, { recursive: true, force: true })
      process.exit(130)
    })
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  return () => {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
  }
}
