// Everything `edgemirror daemon` can be told. The flags, their config.json keys and defaults: node/daemon-flags.ts.
// Parsed by node/cli/daemon.ts, consumed by node/daemon.ts.
import { DAEMON_FLAGS } from './daemon-flags.ts'
import type { SavedConfig } from './config.ts'
import { CarbonDataError, UsageError } from './errors.ts'
import { countryAverage } from './carbon/country-averages.ts'
import { parseWeights } from './placement/weights.ts'
import { assertPublisherId } from './mirror/address.ts'
import { readSwarmKey } from './swarm-key.ts'
import { DEAD_AFTER_MS, HEARTBEAT_INTERVAL_MS, MIN_HEARTBEATS_PER_DEAD_AFTER } from './repair/constants.ts'

export interface DaemonOptions {
  /** Repo directory (config, identity, store, API address and token). */
  repo: string
  /** Multiaddrs to listen on; default ['/ip4/0.0.0.0/tcp/4050']. Tests use '/ip4/127.0.0.1/tcp/0'. */
  listen: string[]
  /** Control API host:port; default '127.0.0.1:0'. Only loopback hosts are accepted. */
  api: string
  /** HTTP gateway host:port, or 'off'; default DEFAULT_GATEWAY. */
  gateway: string
  gatewayMaxStreams: number
  /** Bytes of disk for the gateway's edge cache (<repo>/cache); 0 turns it off. */
  cacheSize: number
  /** Prometheus metrics at /metrics on the gateway address. */
  metrics: boolean
  bootstrap: string[]
  /** Path of a private swarm's key (--swarm-key): docs/DEPLOY.md, "Private swarms". */
  swarmKey?: string
  /** Mirror-set publishers this node trusts (--trust); empty or absent: every publisher. docs/MIRRORS.md, "Trust". */
  trust?: string[]
  zone: string
  region: string
  /** Static carbon intensity in gCO2/kWh (--carbon). */
  carbon?: number
  /** ISO 3166 alpha-2 country for the embedded yearly average (--carbon-country). */
  carbonCountry?: string
  carbonFile?: string
  carbonUrl?: string
  /** Store capacity in bytes; null = unlimited. */
  capacity: number | null
  /** Bytes of shards one pushing peer may keep in this node's store (--quota-per-peer); 0 = no limit (the default:
   *  DEFAULT_QUOTA_PER_PEER in node/constants.ts says why). */
  quotaPerPeer?: number
  mdns: boolean
  /** Placement weights spec, e.g. 'carbon=0.5,latency=0.3,balance=0.2'. */
  placement?: string
  /** Self-repair: heartbeat (shard report) interval, when a silent holder counts as dead, the extra grace before its
   *  shards are rebuilt, and the rebuild bandwidth (bytes/s). Defaults: node/repair/constants.ts. */
  heartbeatMs?: number
  deadAfterMs?: number
  repairGraceMs?: number
  repairRate?: number
  /** Scrubbing: bytes/s re-hashed, and the pause between passes. Defaults: node/repair/scrubber.ts. */
  scrubRate?: number
  scrubIntervalMs?: number
  /** How long holders keep a deleted file before removing it (default DEFAULT_DELETE_GRACE_MS, node/constants.ts). */
  deleteGraceMs?: number
  /** Abort a protocol stream that makes no progress for this long (default STREAM_IDLE_TIMEOUT_MS); tests shorten it. */
  streamIdleTimeoutMs?: number
  /** Minimum rate of an inbound frame over each idle-timeout window (default MIN_STREAM_BYTES_PER_SECOND). */
  streamMinBytesPerSecond?: number
  /** Budget of buffered inbound bytes, in total and per connection (defaults INBOUND_BUDGET_TOTAL_BYTES,
   *  INBOUND_BUDGET_PER_CONNECTION_BYTES in node/constants.ts); tests shrink them. */
  inboundBudgetBytes?: number
  inboundBudgetPerConnectionBytes?: number
}

export { DEFAULT_API, DEFAULT_LISTEN } from './daemon-flags.ts'

/** The options of a daemon on `repo` with `config` (the command line over config.json): every setting not given takes
 *  its default from the flag table. */
export function daemonOptions (repo: string, config: SavedConfig): DaemonOptions {
  const defaults = Object.fromEntries(DAEMON_FLAGS.filter(f => f.default !== undefined && config[f.key] == null).map(f => [f.key, f.default]))
  return { ...config, ...defaults, repo } as DaemonOptions
}

/**
 * What can be wrong with the options, found before the repo is touched or a socket opened: ERR_USAGE naming the flag,
 * so that `daemon --listen garbage` exits 2 at once rather than failing deep inside libp2p (issue #15). Checks values
 * from config.json too (they are the same settings).
 */
export async function checkDaemonOptions (options: DaemonOptions): Promise<void> {
  // Loaded here: the other CLI verbs never need multiaddr.
  const { multiaddr } = await import('@multiformats/multiaddr')
  const parse = (flag: string, text: string, want: string): Array<{ name: string, value?: string }> => {
    try {
      return multiaddr(text).getComponents()
    } catch (err) {
      throw new UsageError(`${flag} ${JSON.stringify(text)} is not a multiaddr (${(err as Error).message}); want ${want}`)
    }
  }
  for (const text of options.listen) {
    const want = 'e.g. /ip4/0.0.0.0/tcp/4050'
    if (!parse('--listen', text, want).some(c => c.name === 'tcp')) throw new UsageError(`--listen ${JSON.stringify(text)} has no /tcp/ port (edgemirror listens on TCP); want ${want}`)
  }
  for (const text of options.bootstrap) {
    const want = 'the address of a peer with its id, e.g. /ip4/192.168.1.10/tcp/4050/p2p/12D3KooW… (`edgemirror id` on that peer prints it)'
    const parts = parse('--bootstrap', text, want)
    if (!parts.some(c => c.name === 'tcp') || !parts.some(c => c.name === 'p2p')) throw new UsageError(`--bootstrap ${JSON.stringify(text)} lacks a /tcp/ port or a /p2p/ peer id; want ${want}`)
  }
  if (options.swarmKey !== undefined) await readSwarmKey(options.swarmKey)
  for (const peer of options.trust ?? []) {
    try {
      assertPublisherId(peer)
    } catch (err) {
      throw new UsageError(`--trust ${JSON.stringify(peer)}: not a peer id (\`edgemirror id\` on the publisher prints it): ${(err as Error).message}`)
    }
  }
  if (options.placement !== undefined) parseWeights(options.placement)
  if (options.carbonCountry !== undefined) {
    try {
      countryAverage(options.carbonCountry)
    } catch (err) {
      if (err instanceof CarbonDataError) throw new UsageError(err.message)
      throw err
    }
  }
  const heartbeat = options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS
  const deadAfter = options.deadAfterMs ?? DEAD_AFTER_MS
  if (heartbeat <= 0) throw new UsageError('--heartbeat must be more than 0')
  if (deadAfter < MIN_HEARTBEATS_PER_DEAD_AFTER * heartbeat) {
    throw new UsageError(`--dead-after (${deadAfter} ms) must be at least ${MIN_HEARTBEATS_PER_DEAD_AFTER} x --heartbeat (${heartbeat} ms): ` +
      'with fewer heartbeats in the window one late report declares a live holder dead')
  }
}
