// Daemon defaults. Each number says where it comes from.

/** Protocol ids carry a version; changing a wire message means a new version (docs/PROTOCOLS.md). */
export const PROTOCOL_PUT = '/edgemirror/shard-put/1.0.0'
export const PROTOCOL_GET = '/edgemirror/shard-get/1.0.0'
export const PROTOCOL_HAS = '/edgemirror/has/1.0.0'
export const PROTOCOL_MANIFEST = '/edgemirror/manifest/1.0.0'
export const PROTOCOL_INFO = '/edgemirror/info/1.0.0'
export const PROTOCOL_PEERS = '/edgemirror/peers/1.0.0'

/** Largest control frame (request/response headers, has-lists, peer info). 1 MiB is ample: a has-reply for the
 *  maximum 1,000 CIDs is ~70 KiB. */
export const MAX_HEADER_FRAME = 1024 * 1024

/** Frames are prefixed by a 4-byte big-endian length. */
export const FRAME_LENGTH_BYTES = 4

/** A stream that makes no progress for this long is aborted (a stalled or malicious peer must not pin resources).
 *  30 s tolerates a slow disk or a congested edge uplink moving one 1 MiB block at ~300 kbit/s. */
export const STREAM_IDLE_TIMEOUT_MS = 30_000

/** Reader pauses the libp2p stream above this many buffered bytes and resumes below half of it: with yamux's window
 *  this bounds what a fast sender can make us hold per stream (see node/wire/frame-reader.ts). Above the 1 MiB default
 *  block: at exactly 1 MiB, 1 GiB RS(4,2) fetches once stalled until the 30 s read timeout (measured here, before the
 *  reader learned not to pause inside a frame). 2 MiB rather than 4: see YAMUX_MAX_STREAM_WINDOW. */
export const READ_HIGH_WATER = 2 * 1024 * 1024

/** A writer waits while more than this many bytes sit in a stream's write buffer (node/wire/frame-writer.ts): one
 *  1 MiB block queued behind the yamux window keeps the link busy, and bounds what a slow receiver costs us per stream. */
export const WRITE_HIGH_WATER = 1024 * 1024

/** yamux per-stream window cap: 2 MiB (library default 16 MiB); the read buffer must exceed it. A window and a read
 *  high-water of 2 MiB rather than 4 halve what each stream holds in flight: a reader holds k + 1 or more streams, and
 *  at 4 MiB the 4 GiB bench's readers and serving holders peaked at 304–314 MiB in a loaded run, against 255–267 MiB
 *  at 2 MiB with the same throughput (share RS(4,2) 150 vs 144 MB/s, fetch 273 vs 229, ×3 fetch 242 vs 233: within
 *  run-to-run noise, docs/BENCHMARKS.md). 2 MiB per stream still fills ~20 MB/s per stream at 100 ms RTT, k streams
 *  at once. Streams also start at the cap (node/host.ts): yamux grows a window from 256 KiB only when a window's worth
 *  arrives within 4 RTTs of its ping, which a loaded machine rarely meets, and every fetch opens k fresh streams. */
export const YAMUX_MAX_STREAM_WINDOW = 2 * 1024 * 1024
export const YAMUX_MAX_READ_BUFFER = 4 * 1024 * 1024

/** Ping streams per peer and direction. libp2p's connection monitor pings every connection every 10 s and aborts the
 *  connection when a ping fails, and the ping service allows one outbound stream by default: so a peer-directory
 *  RTT probe that overlapped a monitor ping (TooManyOutboundProtocolStreamsError) killed the connection with every
 *  transfer on it (seen as 'Cannot write to a stream that is closed' in bench:transfer under load). Both ends are
 *  edgemirror daemons; 4 covers the directory's one probe per peer plus overlapping monitor pings. */
export const MAX_PING_STREAMS = 4

/** The connection monitor's shortest ping timeout (libp2p's default is 5 s). A daemon busy hashing and encoding a large
 *  transfer on a loaded machine can answer a ping late; cutting its connection then loses the transfer. 30 s still
 *  reaps a connection to a vanished machine within a minute, the default dead-after of the failure detector. */
export const PING_TIMEOUT_MIN_MS = 30_000

/** At most this many CIDs per has-request. */
export const MAX_HAS_CIDS = 1000

/** Parallel shard transfers a node serves before queuing more (bounded memory and disk contention). */
export const MAX_INBOUND_TRANSFERS = 64

/** How long to wait for a peer to answer a small request (has, info, manifest header). */
export const REQUEST_TIMEOUT_MS = 10_000

/** Peer info refresh interval: carbon intensity and free space change slowly (minutes), so once a minute is plenty. */
export const PEER_INFO_REFRESH_MS = 60_000

/** Peer exchange: at most this many peers per answer, this many addresses each. Edge swarms are "a handful of
 *  machines" (tens); 64 covers them while bounding what one answer can make us dial. */
export const MAX_EXCHANGED_PEERS = 64
export const MAX_EXCHANGED_ADDRESSES = 8

/** Keep a full mesh up to this many connections: every holder of a file must reach the others directly for
 *  heartbeats and repair, and libp2p's default connection limit (300) is far above it. */
export const MAX_MESH_PEERS = 64

/** How often the mesh asks its peers whom they know. A new peer is also asked at once on connect, so this only
 *  bounds how long a partition heals; 30 s is cheap (one small frame per peer). */
export const MESH_EXCHANGE_INTERVAL_MS = 30_000

/** `check` proves each claimed shard by reading one block from its holder; all proofs run at once and each gets this
 *  long. A 1 MiB block (the default block size) takes ~17 s over a 500 kbit/s edge uplink; 20 s lets such a holder
 *  prove itself while a peer that never answers costs a check 20 s at most. */
export const PROOF_TIMEOUT_MS = 20_000
