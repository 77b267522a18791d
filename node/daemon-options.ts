// Everything `edgemirror daemon` can be told. The flags, their config.json keys and defaults: node/daemon-flags.ts.
// Parsed by node/cli/daemon.ts, consumed by node/daemon.ts.
import { DAEMON_FLAGS } from './daemon-flags.ts'
import type { SavedConfig } from './config.ts'

export interface DaemonOptions {
  /** Repo directory (config, identity, store, API address and token). */
  repo: string
  /** Multiaddrs to listen on; default ['/ip4/0.0.0.0/tcp/4050']. Tests use '/ip4/127.0.0.1/tcp/0'. */
  listen: string[]
  /** Control API host:port; default '127.0.0.1:0'. Only loopback hosts are accepted. */
  api: string
  bootstrap: string[]
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
