// The emulated WAN of the benchmarks (`--wan`), as plain data: which network namespace each daemon runs in, its
// address, its access link (one-way delay and rate), and the `ip`/`tc` commands that build and remove it all.
// Pure: bench/wan/netns.ts runs the commands; test/bench/wan-profile.test.ts checks them without root.
//
// Topology: a star. Every daemon has a namespace of its own, emwan-<run>-<i>, whose eth0 is one end of a veth pair;
// the other end, v<i>, is a port of the bridge br0 in a hub namespace, emwan-<run>-hub, that stands for the core of
// the internet. Nothing touches the host's own namespace or any real interface: both ends of every veth are created
// inside our namespaces (`ip -n HUB link add … peer name eth0 netns NS`), and the addresses (10.77.0.0/16) exist
// only there. Each access link is shaped in both directions by a netem qdisc with the peer's one-way delay and the
// link rate: on eth0 (what the peer sends) and on v<i> (what the hub sends it). A packet from peer i to peer j so
// takes d(i) + d(j) one way, and the round trip between them is 2 · (d(i) + d(j)).

/** How far a peer is from the core, as one-way delay of its access link. */
export interface EdgeTier {
  name: string
  oneWayMs: number
}

/** Four tiers chosen so that round trips between two peers span exactly the 20–150 ms that issue 7 asks for: two
 *  peers of the nearest tier are 2 · (5 + 5) = 20 ms apart, two of the farthest 2 · (37.5 + 37.5) = 150 ms. The
 *  names are rough guides (light in fibre covers ~200 km per ms one way, plus access-network delay), not data. */
export const EDGE_TIERS: readonly EdgeTier[] = [
  { name: 'metro', oneWayMs: 5 },
  { name: 'national', oneWayMs: 12.5 },
  { name: 'continental', oneWayMs: 22.5 },
  { name: 'intercontinental', oneWayMs: 37.5 }
]

/** Every access link's rate, each direction: the 100 Mbit/s edge link of issue 7. */
export const LINK_RATE_MBIT = 100

/** Queueing a link may add on top of its delay before netem drops: 100 ms, a modest drop-tail buffer for a home
 *  router (Gettys and Nichols, "Bufferbloat: Dark Buffers in the Internet", ACM Queue 2011, found seconds). */
export const LINK_QUEUE_MS = 100

/** netem counts its limit in packets; at full-size Ethernet frames. */
const MTU_BYTES = 1500

/** The emulated addresses: 10.77.0.0/16, private (RFC 1918) and only ever configured inside our namespaces. */
export const WAN_PREFIX = '10.77'
export const WAN_PREFIX_LENGTH = 16

/** Namespace names start with this; a namespace so named whose run's process is gone is stale. */
export const NAMESPACE_PREFIX = 'emwan-'

/** How the access links are shaped: 'netem' adds delay and limits the rate (the WAN profile); 'rate-only' limits
 *  the rate with tbf and adds no delay, for kernels built without netem. */
export type Shaping = 'netem' | 'rate-only'

export interface PeerLink {
  index: number
  namespace: string
  address: string
  tier: string
  oneWayMs: number
  rateMbit: number
}

export interface WanPlan {
  run: string
  shaping: Shaping
  hub: string
  peers: PeerLink[]
}

/** `run` names one topology: `<pid>-<sequence>`, so a stale one can be told from a live one by its pid. */
export function runId (pid: number, sequence: number): string {
  return `${pid}-${sequence}`
}

/** The pid that made a namespace of ours, or undefined when the name is not one of ours. */
export function ownerPid (namespace: string): number | undefined {
  const match = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-\\d+-`).exec(namespace)
  return match !== null ? Number(match[1]) : undefined
}

export function peerAddress (index: number): string {
  const host = index + 1 // .0.0 is the network
  if (!Number.isInteger(index) || index < 0 || host > 65_534) throw new RangeError(`no address for peer ${index}`)
  return `${WAN_PREFIX}.${host >> 8}.${host & 255}`
}

export function tierOf (index: number): EdgeTier {
  return EDGE_TIERS[index % EDGE_TIERS.length]
}

export function planWan (run: string, count: number, shaping: Shaping = 'netem'): WanPlan {
  if (!/^\d+-\d+$/.test(run)) throw new Error(`run id must be <pid>-<sequence>, got ${JSON.stringify(run)}`)
  if (!Number.isInteger(count) || count < 1) throw new Error(`need at least one peer, got ${count}`)
  return {
    run,
    shaping,
    hub: `${NAMESPACE_PREFIX}${run}-hub`,
    peers: Array.from({ length: count }, (_, i) => {
      const tier = tierOf(i)
      return { index: i, namespace: `${NAMESPACE_PREFIX}${run}-${i}`, address: peerAddress(i), tier: tier.name, oneWayMs: shaping === 'netem' ? tier.oneWayMs : 0, rateMbit: LINK_RATE_MBIT }
    })
  }
}

/** Round-trip time between two peers of the plan, without queueing or transmission time. */
export function rttMs (plan: WanPlan, a: number, b: number): number {
  return a === b ? 0 : 2 * (plan.peers[a].oneWayMs + plan.peers[b].oneWayMs)
}

/** netem's queue, in packets: what the link holds in flight (rate × delay) plus LINK_QUEUE_MS of queueing, at
 *  full-size frames; at least netem's own default of 1000. */
export function netemLimit (link: PeerLink): number {
  const bytes = link.rateMbit * 1e6 / 8 * (link.oneWayMs + LINK_QUEUE_MS) / 1000
  return Math.max(1000, Math.ceil(bytes / MTU_BYTES))
}

/** The qdisc arguments of one direction of a link (after `tc qdisc add dev DEV root`). */
export function qdiscArgs (link: PeerLink, shaping: Shaping): string[] {
  const rate = `${link.rateMbit}mbit`
  if (shaping === 'netem') return ['netem', 'delay', `${link.oneWayMs}ms`, 'rate', rate, 'limit', String(netemLimit(link))]
  // tbf: a burst of 64 KiB lets a GSO packet through whole; latency bounds its queue as netem's limit does.
  return ['tbf', 'rate', rate, 'burst', '64kb', 'latency', `${LINK_QUEUE_MS}ms`]
}

/** The commands that build the plan, in order (each argv for execFile). */
export function setupCommands (plan: WanPlan): string[][] {
  const { hub } = plan
  const commands = [
    ['ip', 'netns', 'add', hub],
    ['ip', '-n', hub, 'link', 'add', 'br0', 'type', 'bridge'],
    ['ip', '-n', hub, 'link', 'set', 'br0', 'up']
  ]
  for (const peer of plan.peers) {
    const ns = peer.namespace
    const port = `v${peer.index}`
    commands.push(
      ['ip', 'netns', 'add', ns],
      ['ip', '-n', hub, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
      ['ip', '-n', hub, 'link', 'set', port, 'master', 'br0'],
      ['ip', '-n', hub, 'link', 'set', port, 'up'],
      ['ip', '-n', ns, 'addr', 'add', `${peer.address}/${WAN_PREFIX_LENGTH}`, 'dev', 'eth0'],
      ['ip', '-n', ns, 'link', 'set', 'eth0', 'up'],
      ['ip', '-n', ns, 'link', 'set', 'lo', 'up'], // the daemon's control API is on 127.0.0.1 of its namespace
      ['tc', '-n', ns, 'qdisc', 'add', 'dev', 'eth0', 'root', ...qdiscArgs(peer, plan.shaping)],
      ['tc', '-n', hub, 'qdisc', 'add', 'dev', port, 'root', ...qdiscArgs(peer, plan.shaping)]
    )
  }
  return commands
}

/** Every namespace of the plan, peers first: deleting a namespace deletes its end of the veth pair, and so the pair. */
export function namespaces (plan: WanPlan): string[] {
  return [...plan.peers.map(p => p.namespace), plan.hub]
}

/** The argv prefix that runs a command inside peer i's namespace (`ip netns exec` execs it in place: same pid). */
export function execPrefix (plan: WanPlan, index: number): string[] {
  return ['ip', 'netns', 'exec', plan.peers[index].namespace]
}

/** One line for reports: how every access link is shaped. */
export function describeLinks (shaping: Shaping): string {
  const delay = shaping === 'netem'
    ? `netem one-way delay per peer by tier (${EDGE_TIERS.map(t => `${t.name} ${t.oneWayMs} ms`).join(', ')}; peer i in tier i mod ${EDGE_TIERS.length}; RTT between two peers 2 · (d(i) + d(j)))`
    : 'no added delay (tbf rate limit only, for kernels without netem)'
  return `each daemon in a network namespace of its own on a bridge, each access link ${LINK_RATE_MBIT} Mbit/s each way, ${delay}`
}

/** One line for reports: the plan's peers and links. */
export function describePlan (plan: WanPlan): string {
  const rtts = plan.peers.flatMap(a => plan.peers.filter(b => b.index > a.index).map(b => rttMs(plan, a.index, b.index)))
  const span = plan.shaping === 'netem' && rtts.length > 0 ? `, pairwise RTT ${Math.min(...rtts)}–${Math.max(...rtts)} ms` : ''
  return `${plan.peers.length} peers: ${describeLinks(plan.shaping)}${span}`
}
