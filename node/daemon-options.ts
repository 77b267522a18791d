// Everything `edgemirror daemon` can be told. Parsed by node/cli/daemon.ts, consumed by node/daemon.ts.

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
  /** Abort a protocol stream that makes no progress for this long (default STREAM_IDLE_TIMEOUT_MS); tests shorten it. */
  streamIdleTimeoutMs?: number
}

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/4050'
export const DEFAULT_API = '127.0.0.1:0'
