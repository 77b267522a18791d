// The HTTP gateway against the ceiling of a plain static file server, in one run (issue #16):
//   (a) time to first byte of 1 MiB ranges at random offsets, cold (a reader with no edge cache: every range is
//       read from the holders) and warm (a reader whose edge cache holds the file);
//   (b) whole-file throughput through the gateway, cold and warm, with 1 and with N concurrent clients;
//   (c) the same file served from local disk by Node's own http + fs.createReadStream (nginx is not installed here),
//       the physical ceiling: throughput ratios are against it;
//   and the CLI's `fetch` of the file from the cold reader, the figure bench:transfer reports for fetch.
// Six daemon processes on 127.0.0.1, RS(4,2); the client is Node's fetch (undici) in this process, for every server.
//
//   npm run bench:gateway -- [--size 1GiB] [--ranges 100] [--clients 1,16] [--quick] [--seed 1]
//
// One JSON line per measurement on stdout, progress on stderr. MB/s are decimal (10^6 bytes per second).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { childEnv, CLI_PATH, cleanUpOnInterrupt, nodeCommand, scriptArgs } from '../test/harness/daemon-process.ts'
import { DaemonSwarm } from '../test/harness/daemon-swarm.ts'
import { parseSize } from '../node/size.ts'
import { median, round, sha256File } from './measure.ts'
import { pseudoRandomStream } from './pseudo-random.ts'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const STATIC_SERVER = fileURLToPath(new URL('./static-file-server.ts', import.meta.url))
const MIB = 1024 * 1024
const K = 4
const M = 2
const DAEMONS = 6
/** The reader without an edge cache (every read goes to the holders), the reader with one, and the sharer. */
const COLD = 4
const WARM = 5
const ENTRY = 0
const RANGE_BYTES = MIB

interface Settings { size: number, ranges: number, clients: number[], seed: number }

function settings (): Settings {
  const { values } = parseArgs({ options: { size: { type: 'string' }, ranges: { type: 'string' }, clients: { type: 'string' }, quick: { type: 'boolean' }, seed: { type: 'string' } } })
  const quick = values.quick === true
  const size = values.size !== undefined ? parseSize(values.size) : quick ? 64 * MIB : 1024 * MIB
  const ranges = Number(values.ranges ?? (quick ? 20 : 100))
  const clients = (values.clients ?? (quick ? '1,4' : '1,16')).split(',').map(Number)
  const seed = Number(values.seed ?? 1)
  if (size < 2 * RANGE_BYTES) throw new Error(`--size must be at least ${2 * RANGE_BYTES} bytes`)
  if (!Number.isInteger(ranges) || ranges < 1) throw new Error('--ranges must be a positive integer')
  if (clients.some(c => !Number.isInteger(c) || c < 1)) throw new Error('--clients must be positive integers, e.g. 1,16')
  return { size, ranges, clients, seed }
}

function progress (text: string): void {
  process.stderr.write(`[bench:gateway] ${text}\n`)
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]
}

function emit (line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'gateway', ...line, node: process.version, cpus: availableParallelism(), loadAvg1m: round(loadavg()[0], 2) })}\n`)
}

/** Offsets of `count` ranges spread over the file, from a seeded generator (the same offsets cold and warm). */
function rangeOffsets (size: number, count: number, seed: number): number[] {
  let state = seed >>> 0 || 1
  const next = (): number => {
    // xorshift32 (Marsaglia 2003): enough to scatter offsets, reproducible from the seed.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
  return Array.from({ length: count }, () => Math.floor(next() * (size - RANGE_BYTES)))
}

/** GET a byte range; ms to the first body byte, and the whole range checked for length. */
async function timeToFirstByte (url: string, offset: number): Promise<number> {
  const started = performance.now()
  const response = await fetch(url, { headers: { range: `bytes=${offset}-${offset + RANGE_BYTES - 1}` } })
  if (response.status !== 206 || response.body === null) throw new Error(`range at ${offset}: HTTP ${response.status}`)
  const reader = response.body.getReader()
  let first = await reader.read()
  const ttfb = performance.now() - started
  let bytes = 0
  while (first.done !== true) {
    bytes += first.value.byteLength
    first = await reader.read()
  }
  if (bytes !== RANGE_BYTES) throw new Error(`range at ${offset}: ${bytes} bytes, not ${RANGE_BYTES}`)
  return ttfb
}

/** One client's throughput is the median of this many runs (the median guards against a neighbour's burst on 2
 *  cores); N clients move N files per run, long enough (16 GiB at 1 GiB) for one run to carry little noise. */
const SINGLE_CLIENT_RUNS = 3

async function medianThroughput (url: string, size: number, clients: number): Promise<{ mbPerSec: number, runs: number[] }> {
  const runs: number[] = []
  for (let i = 0; i < (clients === 1 ? SINGLE_CLIENT_RUNS : 1); i++) runs.push(await throughput(url, size, clients))
  return { mbPerSec: median(runs), runs: runs.map(r => round(r)) }
}

/** `clients` concurrent GETs of the whole file; aggregate MB/s over the wall time of all of them. */
async function throughput (url: string, size: number, clients: number): Promise<number> {
  const started = performance.now()
  await Promise.all(Array.from({ length: clients }, async () => {
    const response = await fetch(url)
    if (response.status !== 200 || response.body === null) throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`)
    let bytes = 0
    for await (const chunk of response.body) bytes += (chunk as Uint8Array).byteLength
    if (bytes !== size) throw new Error(`GET ${url}: ${bytes} bytes, not ${size}`)
  }))
  return clients * size / 1e6 / ((performance.now() - started) / 1000)
}

async function main (): Promise<void> {
  const { size, ranges, clients, seed } = settings()
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-bench-gateway-'))
  const stopListening = cleanUpOnInterrupt(root)
  let swarm: DaemonSwarm | undefined
  let staticServer: ReturnType<typeof spawn> | undefined
  try {
    const file = join(root, 'file.bin')
    await pipeline(pseudoRandomStream(seed, size), createWriteStream(file))
    const sha256 = await sha256File(file)
    progress(`starting ${DAEMONS} daemons`)
    // The warm reader's cache holds the whole file; the cold one has none; the rest keep the default.
    swarm = await DaemonSwarm.start({ root, count: DAEMONS, flags: i => ['--cache-size', i === WARM ? `${2 * size}B` : '0'], progress })
    const shared = (await swarm.cli(ENTRY, ['share', file, '--k', String(K), '--m', String(M), '--json'])).json
    if (shared?.cid === undefined) throw new Error('share failed')
    const cid = shared.cid as string
    const gatewayOf = (i: number): string => `${swarm!.daemons[i].gateway ?? ''}/f/${cid}`
    progress(`shared ${size} bytes as RS(${K},${M}): ${cid}`)

    // The ceiling: the file from local disk, by a plain Node HTTP server in a process of its own.
    staticServer = spawn(process.execPath, scriptArgs(STATIC_SERVER, [file]), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() })
    const [ready] = await once(staticServer.stdout!, 'data') as [Buffer]
    const staticUrl = (JSON.parse(ready.toString()) as { url: string }).url

    // Warm-up: connections, JIT (the client's above all: its first whole-file read runs at a third of its later ones)
    // and page cache of every path, and the warm reader's cache filled by one whole read.
    await timeToFirstByte(gatewayOf(COLD), 0)
    for (let i = 0; i < 3; i++) await throughput(staticUrl, size, 1)
    await throughput(gatewayOf(WARM), size, 1)
    const cache = (await swarm.status(WARM)).cache
    progress(`warm reader's cache: ${JSON.stringify(cache)}`)

    const offsets = rangeOffsets(size, ranges, seed)
    for (const [label, reader] of [['cold', COLD], ['warm', WARM]] as const) {
      const ms: number[] = []
      for (const offset of offsets) ms.push(await timeToFirstByte(gatewayOf(reader), offset))
      emit({ op: 'ttfb', cache: label, rangeBytes: RANGE_BYTES, sizeBytes: size, ranges: ms.length, medianMs: round(median(ms), 2), p99Ms: round(percentile(ms, 99), 2), maxMs: round(Math.max(...ms), 2) })
      progress(`ttfb ${label}: median ${round(median(ms), 2)} ms, p99 ${round(percentile(ms, 99), 2)} ms`)
    }

    const fetchFile = join(root, 'fetched.bin')
    const fetchStarted = performance.now()
    const cli = spawn(...nodeCommand([CLI_PATH, 'fetch', cid, '-o', fetchFile, '--repo', swarm.repos[COLD], '--json']), { stdio: ['ignore', 'ignore', 'inherit'], env: childEnv() })
    const [code] = await once(cli, 'exit') as [number | null]
    const fetchMbPerSec = size / 1e6 / ((performance.now() - fetchStarted) / 1000)
    if (code !== 0 || await sha256File(fetchFile) !== sha256) throw new Error(`edgemirror fetch failed (exit ${String(code)}) or returned other bytes`)
    await rm(fetchFile)
    emit({ op: 'fetch-cli', sizeBytes: size, mbPerSec: round(fetchMbPerSec) })

    for (const n of clients) {
      const { mbPerSec: ceiling, runs: staticRuns } = await medianThroughput(staticUrl, size, n)
      emit({ op: 'throughput', server: 'static', cache: null, clients: n, sizeBytes: size, mbPerSec: round(ceiling), runsMbPerSec: staticRuns, ratioVsStatic: 1 })
      for (const [label, reader] of [['cold', COLD], ['warm', WARM]] as const) {
        const { mbPerSec: rate, runs } = await medianThroughput(gatewayOf(reader), size, n)
        emit({ op: 'throughput', server: 'gateway', cache: label, clients: n, sizeBytes: size, mbPerSec: round(rate), runsMbPerSec: runs, ratioVsStatic: round(rate / ceiling, 3), ...(label === 'cold' ? { ratioVsFetchCli: round(rate / fetchMbPerSec, 3) } : {}) })
        progress(`${label} gateway, ${n} client(s): ${round(rate)} MB/s (${round(100 * rate / ceiling)} % of static)`)
      }
    }
  } catch (err) {
    // What the readers' daemons logged (their fetch lines carry the error codes): the why of a failed read.
    for (const i of [COLD, WARM]) progress(`daemon ${i} stderr (tail):\n${swarm?.daemons[i]?.stderr().slice(-20000) ?? ''}`)
    throw err
  } finally {
    staticServer?.kill('SIGTERM')
    if (swarm !== undefined) for (const h of await swarm.stop()) progress(`peer ${h.index} did not stop on SIGTERM`)
    await rm(root, { recursive: true, force: true })
    stopListening()
  }
}

main().catch((err) => {
  process.stderr.write(`bench:gateway failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
