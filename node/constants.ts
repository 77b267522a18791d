// Daemon defaults. Each number says where it comes from.

/** Protocol ids carry a version; changing a wire message means a new version (docs/PROTOCOLS.md). */
/** 3.0.0: the manifest trailer carries the file's signed owner claims (node/ownership.ts), which the holder keeps.
 *  2.0.0: two-phase commit (the holder answers "prepared" after the manifest and commits only on a commit message).
 *  2.0.0 (no owners) and 1.0.0 (commit on the manifest) are still served to older sharers, never dialled. */
export const PROTOCOL_PUT = '/edgemirror/shard-put/3.0.0'
export const PROTOCOL_PUT_V2 = '/edgemirror/shard-put/2.0.0'
export const PROTOCOL_PUT_V1 = '/edgemirror/shard-put/1.0.0'
export const PROTOCOL_GET = '/edgemirror/shard-get/1.0.0'
/** 2.0.0: each file in the answer carries the tombstones the peer keeps for it (deletes spread with shard reports).
 *  1.0.0 is still served, never dialled. */
export const PROTOCOL_HAS = '/edgemirror/has/2.0.0'
export const PROTOCOL_HAS_V1 = '/edgemirror/has/1.0.0'
/** An owner asks a holder to drop a file (a signed tombstone): docs/PROTOCOLS.md, "delete". */
export const PROTOCOL_DELETE = '/edgemirror/delete/1.0.0'
/** An owner tells a holder it owns a file too (a signed claim), when its share found every shard already held (dedup)
 *  and sent no put to carry the claim: docs/PROTOCOLS.md, "claim". */
export const PROTOCOL_CLAIM = '/edgemirror/claim/1.0.0'
/** A reader tells a holder that a block it served failed its hash: the holder re-reads and re-hashes that block and
 *  quarantines the shard only if it really is bad (holders do not hash what they serve; readers verify every block,
 *  issue #18): docs/PROTOCOLS.md, "corrupt-block". */
export const PROTOCOL_CORRUPT_BLOCK = '/edgemirror/corrupt-block/1.0.0'
export const PROTOCOL_MANIFEST = '/edgemirror/manifest/1.0.0'
export const PROTOCOL_INFO = '/edgemirror/info/1.0.0'
export const PROTOCOL_PEERS = '/edgemirror/peers/1.0.0'
/** Mirror sets (docs/MIRRORS.md): a node pushes version records it has just learned to its peers (announce), and
 *  asks a peer for the records it lacks (records) when it starts, meets a peer, and every MIRROR_RECORDS_SYNC_MS. */
export const PROTOCOL_MIRROR_ANNOUNCE = '/edgemirror/mirror-announce/1.0.0'
export const PROTOCOL_MIRROR_RECORDS = '/edgemirror/mirror-records/1.0.0'

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
 *  edgemirror daemons. A monitor ping may take up to PING_TIMEOUT_MIN_MS (30 s) on a loaded daemon while a new one
 *  starts every 10 s: 3 monitor pings plus the directory's probe can be out at once, and 4 was one short of that
 *  (bench:gateway, 16 cold whole-file readers on 2 cores: every connection of the reader dropped and rejoined within
 *  2 s, and a read lost three holders at once). 16 leaves room for both ends' pings to pile up; each is 32 bytes. */
export const MAX_PING_STREAMS = 16

/** The connection monitor's shortest ping timeout (libp2p's default is 5 s). A daemon busy hashing and encoding a large
 *  transfer on a loaded machine can answer a ping late; cutting its connection then loses the transfer. 30 s still
 *  reaps a connection to a vanished machine within a minute, the default dead-after of the failure detector. */
export const PING_TIMEOUT_MIN_MS = 30_000

/** At most this many CIDs per has-request. */
export const MAX_HAS_CIDS = 1000

/** Parallel shard transfers a node serves before queuing more (bounded memory and disk contention). */
export const MAX_INBOUND_TRANSFERS = 64

/** Inbound streams per connection for the small request protocols (has, manifest, info, peers), libp2p's own
 *  per-protocol limit (maxInboundStreams). A peer asks these once per heartbeat, fetch, check or mesh round and closes
 *  the stream when answered. 32: a gateway serving many files at once sends a `has` per file being opened (reads of
 *  one file share one lookup, node/fetch/recent-holders.ts), and 8 reset the ninth; each stream holds at most a
 *  small request frame under the inbound budget (the 64 of the transfer protocols let one peer keep 64 streams per
 *  protocol open just to make us buffer, issue #13). */
export const MAX_INBOUND_REQUEST_STREAMS = 32

/** Outbound streams per connection and protocol this node opens (libp2p's maxOutboundStreams), for every edgemirror
 *  protocol: libp2p's own default (64, DEFAULT_MAX_OUTBOUND_STREAMS in libp2p's registrar), set explicitly so that
 *  every handler states its limits. It matches MAX_INBOUND_TRANSFERS, what a peer accepts of puts and gets. */
export const MAX_OUTBOUND_STREAMS = 64

/** libp2p's connection manager (node/host.ts), each at libp2p 3's default, set explicitly (docs/SECURITY.md).
 *  Connections before pruning: 300, far above MAX_MESH_PEERS (64) plus the DHT's and the CLI's short-lived ones.
 *  Inbound connections still in their handshake (noise, yamux): 10; a peer that opens more waits for a slot rather
 *  than making us run more handshakes at once. Inbound connections per remote host a second: 5; a swarm dials each
 *  peer once and re-dials after a drop, far below it, while a host looping on connects is refused. */
export const MAX_CONNECTIONS = 300
export const MAX_INCOMING_PENDING_CONNECTIONS = 10
export const INBOUND_CONNECTIONS_PER_HOST_PER_SECOND = 5

/** The request of info and peers is an empty map (1 byte of MessagePack); 1 KiB leaves room for fields a later
 *  version may add, and is all such a stream may make us buffer before it is answered. A delete request (one signed
 *  tombstone, under 400 bytes) is held to it too. */
export const MAX_SMALL_REQUEST_FRAME = 1024

/** Corrupt-block reports a holder checks per remote peer (a token bucket): each costs one block read and hash, so
 *  10 a second bounds what one peer can make us read to 10 blocks a second (10 MiB/s at the default 1 MiB block).
 *  An honest reader sends at most one per (holder, file, shard) per read, so it comes near this only when many shards
 *  on one disk rotted at once; the burst of 20 covers a gateway opening a handful of files that all meet the same
 *  rotten disk. Beyond it: ERR_RATE_LIMITED. */
export const CORRUPT_REPORTS_PER_SECOND = 10
export const CORRUPT_REPORT_BURST = 20

/** A stream that must deliver a frame does so at no less than this rate, measured over each idle-timeout window
 *  (node/wire/frame-reader.ts): in every STREAM_IDLE_TIMEOUT_MS window it must deliver what is missing of the frame or
 *  MIN_STREAM_BYTES_PER_SECOND × the window (480 KiB at the defaults), whichever is less. "Any byte counts as
 *  progress" let a put that sent all but the end of a 16 MiB block and then 1 byte every 25 s pin the block
 *  indefinitely (issue #13). 16 KiB/s (128 kbit/s) is under half the ~300 kbit/s congested edge uplink the idle
 *  timeout was sized for; the same idea as Apache's mod_reqtimeout MinRate, which defaults to 500 B/s for request
 *  bodies but has no window, so a fast start there buys a slow finish (here it does not). */
export const MIN_STREAM_BYTES_PER_SECOND = 16 * 1024

/** The node's budget of buffered inbound bytes (node/wire/inbound-budget.ts), in total and per connection. Each
 *  inbound stream leases, before it reads, its yamux window (the bytes a peer can push that we have not read) plus
 *  the frame it expects: a request, a put's block (at least READ_HIGH_WATER, what the reader buffers ahead) and the
 *  block hashes it keeps, then the manifest trailer. A lease that does not fit is refused with ERR_BUSY.
 *  Total: 256 MiB, about the 255–267 MiB peak RSS of a daemon serving the 4 GiB benchmark (docs/BENCHMARKS.md), so a
 *  node under attack holds no more for peers than a busy one does. Per connection: 96 MiB, the largest manifest
 *  trailer (MAX_MANIFEST_BYTES, 64 MiB) plus two largest blocks (MAX_BLOCK_SIZE, 16 MiB), so any valid file can be
 *  received from one peer, and about 40 puts at the default 1 MiB blocks; it takes three peers to fill the total. */
export const INBOUND_BUDGET_TOTAL_BYTES = 256 * 1024 * 1024
export const INBOUND_BUDGET_PER_CONNECTION_BYTES = 96 * 1024 * 1024

/** Room in a put's manifest trailer beyond the block hashes its geometry implies ((k + m) × stripes × 32 bytes):
 *  field names, codec id, file hash, a 255-byte name and a publisher key and signature (tens of bytes to a few KiB
 *  for the schemes libp2p keys use); 64 KiB is far above all of them together. */
export const MANIFEST_TRAILER_SLACK = 64 * 1024

/** How long to wait for a peer to answer a small request (has, info, manifest header). */
export const REQUEST_TIMEOUT_MS = 10_000

/** How long a sharer waits for a holder to accept a put (dial, request, answer) before placing that shard on
 *  another peer: the request answer is small, so the small-request bound applies. */
export const PUT_ACCEPT_TIMEOUT_MS = REQUEST_TIMEOUT_MS

/** How long a sharer leaves a holder that failed out of its placements. A refused or dead holder is tried again
 *  after this; 10 minutes covers a restart or an operator freeing space, and is short against a file's lifetime. */
export const FAILED_HOLDER_TTL_MS = 10 * 60_000

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

/** Each part of a node (mesh, scrubber, repair service, shard server, host, carbon provider, store) must stop within
 *  this long whatever it is doing (issue #13: a scrub pass kept a daemon up for an hour after SIGTERM). Every stop
 *  aborts its work rather than waiting it out, so this only catches bugs: 10 s is the deadline the issue asks for, and
 *  a third of the 30 s a supervisor (the chaos suite, systemd's TimeoutStopSec default is 90 s) waits before SIGKILL. */
export const SERVICE_STOP_TIMEOUT_MS = 10_000

/** `check` proves each claimed shard by reading one block from its holder; all proofs run at once and each gets this
 *  long. A 1 MiB block (the default block size) takes ~17 s over a 500 kbit/s edge uplink; 20 s lets such a holder
 *  prove itself while a peer that never answers costs a check 20 s at most. */
export const PROOF_TIMEOUT_MS = 20_000

/** How long holders keep a deleted file's bytes (`daemon --delete-grace`): 10 minutes, so a fetch already under way
 *  when the rm is given can finish (a 1 GiB file over a 20 Mbit/s edge uplink takes ~7 min) and the tombstone reaches
 *  every holder through shard reports (every 5 s) long before any bytes go. Until then the file can still be fetched. */
export const DEFAULT_DELETE_GRACE_MS = 10 * 60_000
/** Longest grace a tombstone may ask for: 30 days (a holder keeps a deleted file's bytes no longer than that). Here,
 *  not in ownership.ts, so the CLI's flag table checks it without loading the signature code. */
export const MAX_DELETE_GRACE_MS = 30 * 24 * 3600_000

/** Mirror sets: how often a node asks each peer for version records it lacks (pull, the safety net behind push):
 *  a follower that missed a push catches up within this, well inside a human's patience for a missed release. */
export const MIRROR_RECORDS_SYNC_MS = 30_000
/** How long a publish waits for its pushes: a record is a few hundred bytes, one round trip on any link. */
export const MIRROR_ANNOUNCE_TIMEOUT_MS = 5_000

/** A peer that meets a limit (ERR_BUSY, ERR_RATE_LIMITED, ERR_FRAME_TOO_LARGE, ERR_QUOTA_EXCEEDED…) gets one `limit.hit`
 *  line at once and then at most one per this interval, with the count (node/limit-log.ts): a minute keeps a flood to
 *  one line a minute per peer and limit, the granularity of the metrics scrapes and log alerts an operator watches. */
export const LIMIT_LOG_INTERVAL_MS = 60_000

/** Bytes of shards one pushing peer may keep in a holder's store (`daemon --quota-per-peer`, node/store/peer-quota.ts);
 *  0 = no limit. No limit by default: an edge swarm is often a handful of machines fed by one publisher, and any
 *  fixed share of the disk would refuse that publisher's files while the disk still has room (the share would then
 *  fail with ERR_NOT_ENOUGH_PEERS once every holder refused). A swarm with several publishers that must not crowd
 *  each other out sets it, e.g. to capacity / publishers. */
export const DEFAULT_QUOTA_PER_PEER = 0

/** A peer with another swarm key is logged (`swarm.key.refused`) at most once a minute, with the count left out: the
 *  mesh keeper redials known addresses every MESH_EXCHANGE_INTERVAL_MS (30 s) and a scan can try thousands of times a
 *  second, while one line a minute is enough for an operator to see that a key is wrong and where from. */
export const SWARM_KEY_REFUSED_LOG_INTERVAL_MS = 60_000
