// Every setting of `edgemirror daemon` in one table: its command-line option, how its text is parsed, the key it has
// in DaemonOptions and in <repo>/config.json (and the JSON type config.ts accepts there), and its default. The CLI
// (node/cli/daemon.ts) builds its options from it, config.ts checks a saved config against it, and daemon-options.ts
// fills the defaults from it: adding a setting means one row here and one field in DaemonOptions.
import { UsageError } from './errors.ts'
import { splitHostPort } from './host-port.ts'
import { parseIntegerIn } from './integer.ts'
import { UNDECLARED_ZONE } from './placement/domains.ts'
import { DEFAULT_QUOTA_PER_PEER, MAX_DELETE_GRACE_MS } from './constants.ts'
import { parseDuration } from './duration.ts'
import { parseRate, parseSize } from './size.ts'
import type { DaemonOptions } from './daemon-options.ts'

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/4050'
export const DEFAULT_API = '127.0.0.1:0'
/** The HTTP gateway: loopback unless asked (it serves anything the swarm holds to anyone who can reach it); 4080 sits
 *  next to the libp2p port 4050 and clear of the 8080 every other web tool wants. */
export const DEFAULT_GATEWAY = '127.0.0.1:4080'
/** Gateway responses streaming at once: each holds about one stripe (k x 1 MiB) in memory and k holder streams. */
export const DEFAULT_GATEWAY_MAX_STREAMS = 64
/** Edge cache: 1 GiB holds 256 stripes of RS(4,2) with 1 MiB blocks, a few hot files on any edge box's disk. */
const DEFAULT_CACHE_SIZE_TEXT = '1GiB'
export const DEFAULT_CACHE_SIZE = 1024 ** 3

/** The settings a daemon keeps in config.json: every one of them is a flag. */
export type SettingKey = Exclude<keyof DaemonOptions, 'repo' | 'streamIdleTimeoutMs' | 'streamMinBytesPerSecond' | 'inboundBudgetBytes' | 'inboundBudgetPerConnectionBytes'>

export interface DaemonFlag {
  key: SettingKey
  /** commander's option text, e.g. '--listen <multiaddr>'. */
  option: string
  description: string
  /** Text (and the value so far, for repeatable flags) to value; none for a plain string or a switch. */
  parse?: (text: string, previous?: any) => unknown
  /** The value as config.json keeps it (--capacity unlimited is saved as null); default: as parsed. */
  toSetting?: (value: any) => unknown
  /** JSON type of the setting in config.json ('number' also takes null: unset). */
  type: 'string' | 'strings' | 'number' | 'boolean'
  /** The value when neither the command line nor config.json gives one (none: the service's own default). */
  default?: unknown
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export const DAEMON_FLAGS: readonly DaemonFlag[] = [
  { key: 'listen', option: '--listen <multiaddr>', description: `address to listen on, repeatable (default ${DEFAULT_LISTEN})`, parse: collect, type: 'strings', default: [DEFAULT_LISTEN] },
  { key: 'api', option: '--api <host:port>', description: `control API address, loopback only (default ${DEFAULT_API})`, type: 'string', default: DEFAULT_API },
  { key: 'gateway', option: '--gateway <host:port|off>', description: `HTTP gateway address (GET /f/<cid>), or off (default ${DEFAULT_GATEWAY}; 0.0.0.0:PORT serves the LAN)`, parse: parseGateway, type: 'string', default: DEFAULT_GATEWAY },
  { key: 'gatewayMaxStreams', option: '--gateway-max-streams <n>', description: `gateway responses streaming at once; more get 503 (default ${DEFAULT_GATEWAY_MAX_STREAMS})`, parse: positiveInteger('--gateway-max-streams'), type: 'number', default: DEFAULT_GATEWAY_MAX_STREAMS },
  { key: 'cacheSize', option: '--cache-size <size>', description: `disk for the gateway's edge cache of decoded stripes, e.g. 10GiB, 0 for none (default ${DEFAULT_CACHE_SIZE_TEXT})`, parse: (text: string) => text.trim() === '0' ? 0 : parseSize(text), type: 'number', default: DEFAULT_CACHE_SIZE },
  { key: 'metrics', option: '--no-metrics', description: 'no Prometheus metrics at /metrics on the gateway address', type: 'boolean', default: true },
  { key: 'swarmKey', option: '--swarm-key <file>', description: 'a private swarm\'s key (`edgemirror keygen` writes one): only peers with the same key can connect', type: 'string' },
  { key: 'trust', option: '--trust <peer-id>', description: 'a mirror-set publisher to trust, repeatable: with any, only their version records are kept, followed and served under /m (default: every publisher)', parse: collect, type: 'strings', default: [] },
  { key: 'bootstrap', option: '--bootstrap <multiaddr>', description: 'a peer to join through (/ip4/…/tcp/…/p2p/…), repeatable', parse: collect, type: 'strings', default: [] },
  // No --zone: this peer is a failure domain of its own (UNDECLARED_ZONE), not one zone shared by every peer without one.
  { key: 'zone', option: '--zone <name>', description: 'failure domain: machines that fail together (a building, a power feed); default: none, this peer is a domain of its own', type: 'string', default: UNDECLARED_ZONE },
  { key: 'region', option: '--region <name>', description: 'larger failure domain and latency group (a city, a country)', type: 'string', default: 'default' },
  { key: 'carbon', option: '--carbon <gCO2/kWh>', description: 'static carbon intensity of this peer\'s electricity', parse: nonNegative('--carbon'), type: 'number' },
  { key: 'carbonCountry', option: '--carbon-country <CC>', description: 'yearly average carbon intensity of a country (ISO 3166 alpha-2, e.g. FR)', type: 'string' },
  { key: 'carbonFile', option: '--carbon-file <path>', description: 'carbon intensity time series (Carbon Aware SDK or Electricity Maps JSON)', type: 'string' },
  { key: 'carbonUrl', option: '--carbon-url <url>', description: 'carbon intensity time series polled over HTTP (same shapes)', type: 'string' },
  {
    key: 'capacity',
    option: '--capacity <size>',
    description: 'most bytes this node stores, e.g. 500GB, 2TiB, or unlimited (default; also unsets a saved capacity)',
    parse: parseCapacity,
    // undefined = not given (the saved value stays); null = given as 'unlimited' (it replaces the saved value).
    toSetting: (value: number | 'unlimited') => value === 'unlimited' ? null : value,
    type: 'number',
    default: null
  },
  {
    key: 'quotaPerPeer',
    option: '--quota-per-peer <size>',
    description: 'most bytes of shards one peer may push into this node\'s store, e.g. 50GB; 0 for no limit (default 0)',
    parse: (text: string) => text.trim() === '0' ? 0 : parseSize(text),
    type: 'number',
    default: DEFAULT_QUOTA_PER_PEER
  },
  { key: 'mdns', option: '--mdns', description: 'find peers on the LAN with multicast DNS', type: 'boolean', default: false },
  { key: 'placement', option: '--placement <weights>', description: 'placement weights, e.g. carbon=0.5,latency=0.3,balance=0.2', type: 'string' },
  // The service defaults of the next six live with their services (node/repair/constants.ts, node/repair/scrubber.ts).
  { key: 'heartbeatMs', option: '--heartbeat <duration>', description: 'how often holders report to each other, e.g. 5s (default 5s)', parse: parseDuration, type: 'number' },
  { key: 'deadAfterMs', option: '--dead-after <duration>', description: 'a holder silent this long is dead, e.g. 60s (default 60s)', parse: parseDuration, type: 'number' },
  { key: 'repairGraceMs', option: '--repair-grace <duration>', description: 'wait this much longer before rebuilding a dead holder\'s shards (default 60s)', parse: parseDuration, type: 'number' },
  { key: 'repairRate', option: '--repair-rate <rate>', description: 'bandwidth for rebuilt shards, e.g. 5MB/s (default 5MB/s)', parse: parseRate, type: 'number' },
  { key: 'scrubRate', option: '--scrub-rate <rate>', description: 'how fast stored shards are re-hashed, e.g. 10MB/s (default 10MB/s)', parse: parseRate, type: 'number' },
  { key: 'scrubIntervalMs', option: '--scrub-every <duration>', description: 'pause between scrub passes (default 1h)', parse: parseDuration, type: 'number' },
  // Default in node/constants.ts (DEFAULT_DELETE_GRACE_MS), with why.
  { key: 'deleteGraceMs', option: '--delete-grace <duration>', description: 'how long a deleted file stays (still fetchable) before its shards are removed (default 10m, at most 30d)', parse: deleteGrace, type: 'number' }
]

/** `--gateway`: HOST:PORT or off. */
function parseGateway (text: string): string {
  if (text === 'off') return text
  splitHostPort('--gateway', text)
  return text
}

function positiveInteger (flag: string): (text: string) => number {
  return (text) => parseIntegerIn(flag, text, 1, 1_000_000)
}

/** `--capacity`: a size, or `unlimited` for no limit. A saved capacity can only be unset this way: `0` is a real
 *  capacity (a node that stores nothing, e.g. one that only shares and fetches). */
function parseCapacity (text: string): number | 'unlimited' {
  // Not null for unlimited: commander turns an argParser's null into ''.
  return text.trim().toLowerCase() === 'unlimited' ? 'unlimited' : parseSize(text)
}

/** Holders refuse a tombstone asking for more than MAX_DELETE_GRACE_MS: refuse it here, before it is signed. */
function deleteGrace (text: string): number {
  const ms = parseDuration(text)
  if (ms > MAX_DELETE_GRACE_MS) throw new UsageError(`--delete-grace is at most 30d, got ${JSON.stringify(text)}`)
  return ms
}

function nonNegative (name: string): (text: string) => number {
  return (text: string) => {
    const value = Number(text)
    if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${name} wants a non-negative number, got ${JSON.stringify(text)}`)
    return value
  }
}
