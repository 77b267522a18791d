// `edgemirror daemon`: run a node and its control API until SIGINT/SIGTERM, then stop cleanly.
import { Option, type Command } from 'commander'
import { loadConfig, saveConfig, type SavedConfig } from '../config.ts'
import { DEFAULT_API, DEFAULT_LISTEN, type DaemonOptions } from '../daemon-options.ts'
import { SERVICE_STOP_TIMEOUT_MS } from '../constants.ts'
import { UsageError } from '../errors.ts'
import { parseDuration } from '../duration.ts'
import { parseRate, parseSize } from '../size.ts'
import { watchParent } from '../parent-watch.ts'
import { action, integerIn, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'

interface DaemonFlags extends CommonOptions {
  listen?: string[]
  api?: string
  bootstrap?: string[]
  zone?: string
  region?: string
  carbon?: number
  carbonCountry?: string
  carbonFile?: string
  carbonUrl?: string
  capacity?: number | 'unlimited'
  mdns?: boolean
  placement?: string
  heartbeat?: number
  deadAfter?: number
  repairGrace?: number
  repairRate?: number
  scrubRate?: number
  scrubEvery?: number
  exitWithParent?: number
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export function registerDaemon (program: Command): void {
  withCommonOptions(program.command('daemon').description('run an edgemirror node (libp2p host, shard store, control API) until SIGINT/SIGTERM'))
    .option('--listen <multiaddr>', `address to listen on, repeatable (default ${DEFAULT_LISTEN})`, collect)
    .option('--api <host:port>', `control API address, loopback only (default ${DEFAULT_API})`)
    .option('--bootstrap <multiaddr>', 'a peer to join through (/ip4/…/tcp/…/p2p/…), repeatable', collect)
    .option('--zone <name>', 'failure domain: machines that fail together (a building, a power feed)')
    .option('--region <name>', 'larger failure domain and latency group (a city, a country)')
    .addOption(new Option('--carbon <gCO2/kWh>', 'static carbon intensity of this peer\'s electricity').argParser(nonNegative('--carbon')))
    .option('--carbon-country <CC>', 'yearly average carbon intensity of a country (ISO 3166 alpha-2, e.g. FR)')
    .option('--carbon-file <path>', 'carbon intensity time series (Carbon Aware SDK or Electricity Maps JSON)')
    .option('--carbon-url <url>', 'carbon intensity time series polled over HTTP (same shapes)')
    .addOption(new Option('--capacity <size>', 'most bytes this node stores, e.g. 500GB, 2TiB, or unlimited (default; also unsets a saved capacity)').argParser(parseCapacity))
    .option('--mdns', 'find peers on the LAN with multicast DNS')
    .option('--placement <weights>', 'placement weights, e.g. carbon=0.5,latency=0.3,balance=0.2')
    .addOption(new Option('--heartbeat <duration>', 'how often holders report to each other, e.g. 5s (default 5s)').argParser(parseDuration))
    .addOption(new Option('--dead-after <duration>', 'a holder silent this long is dead, e.g. 60s (default 60s)').argParser(parseDuration))
    .addOption(new Option('--repair-grace <duration>', 'wait this much longer before rebuilding a dead holder\'s shards (default 60s)').argParser(parseDuration))
    .addOption(new Option('--repair-rate <rate>', 'bandwidth for rebuilt shards, e.g. 5MB/s (default 5MB/s)').argParser(parseRate))
    .addOption(new Option('--scrub-rate <rate>', 'how fast stored shards are re-hashed, e.g. 10MB/s (default 10MB/s)').argParser(parseRate))
    .addOption(new Option('--scrub-every <duration>', 'pause between scrub passes (default 1h)').argParser(parseDuration))
    .addOption(new Option('--exit-with-parent <pid>', 'also stop cleanly once process PID (the one starting the daemon) is no longer its parent: it exited, however (even SIGKILL); for supervisors and test harnesses').argParser(integerIn('--exit-with-parent', 1, 2 ** 22)))
    .action(action(async (flags: DaemonFlags) => {
      const repo = repoDir(flags)
      const saved = await loadConfig(repo)
      const given: SavedConfig = {
        listen: flags.listen,
        api: flags.api,
        bootstrap: flags.bootstrap,
        zone: flags.zone,
        region: flags.region,
        carbon: flags.carbon,
        carbonCountry: flags.carbonCountry,
        carbonFile: flags.carbonFile,
        carbonUrl: flags.carbonUrl,
        capacity: flags.capacity === 'unlimited' ? null : flags.capacity,
        mdns: flags.mdns,
        placement: flags.placement,
        heartbeatMs: flags.heartbeat,
        deadAfterMs: flags.deadAfter,
        repairGraceMs: flags.repairGrace,
        repairRate: flags.repairRate,
        scrubRate: flags.scrubRate,
        scrubIntervalMs: flags.scrubEvery
      }
      // undefined = not given (the saved value stays); null = given as 'unlimited' (it replaces the saved value).
      const config: SavedConfig = { ...saved, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) }
      const options: DaemonOptions = {
        ...config,
        repo,
        listen: config.listen ?? [DEFAULT_LISTEN],
        api: config.api ?? DEFAULT_API,
        bootstrap: config.bootstrap ?? [],
        zone: config.zone ?? 'default',
        region: config.region ?? 'default',
        capacity: config.capacity ?? null,
        mdns: config.mdns ?? false
      }
      // Loaded here, not at the top: the other verbs need none of libp2p, and every CLI call would pay for it.
      const { startDaemon } = await import('../daemon.ts')
      const daemon = await startDaemon(options)
      await saveConfig(repo, config)
      output(flags, { peerId: daemon.peerId, addresses: daemon.addresses, api: daemon.apiUrl, repo }, r =>
        [`edgemirror daemon ready (stop with Ctrl-C)`, `peer id  ${r.peerId}`, ...r.addresses.map(a => `address  ${a}`), `api      ${r.api}`, `repo     ${r.repo}`].join('\n'))
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          unwatch()
          resolve()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
        const unwatch = flags.exitWithParent !== undefined ? watchParent(flags.exitWithParent, stop) : () => {}
      })
      try {
        await daemon.stop()
      } finally {
        // Every service stops within SERVICE_STOP_TIMEOUT_MS; if something still holds the event loop after that, it is
        // a bug, and a daemon that ignores SIGTERM is worse than one that says so and exits (issue #13).
        setTimeout(() => {
          process.stderr.write('edgemirror: the daemon stopped but something still held the process; exiting\n')
          process.exit(process.exitCode ?? 1)
        }, SERVICE_STOP_TIMEOUT_MS).unref()
      }
    }))
}

/** `--capacity`: a size, or `unlimited` for no limit. A saved capacity can only be unset this way: `0` is a real
 *  capacity (a node that stores nothing, e.g. one that only shares and fetches). */
function parseCapacity (text: string): number | 'unlimited' {
  // Not null for unlimited: commander turns an argParser's null into ''.
  return text.trim().toLowerCase() === 'unlimited' ? 'unlimited' : parseSize(text)
}

function nonNegative (name: string): (text: string) => number {
  return (text: string) => {
    const value = Number(text)
    if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${name} wants a non-negative number, got ${JSON.stringify(text)}`)
    return value
  }
}
