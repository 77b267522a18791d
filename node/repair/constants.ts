// Self-repair defaults. Each number says where it comes from, and why the edge value differs from the datacenter one.
//
// For comparison, what datacenter systems use:
//   HDFS      heartbeat every 3 s (dfs.heartbeat.interval); a DataNode is dead after
//             2 × recheck (5 min) + 10 × heartbeat (3 s) = 10 min 30 s (hdfs-default.xml), then re-replication starts.
//   Ceph      OSD heartbeats every 6 s, marked down after 20 s (osd_heartbeat_grace), marked out (data moved)
//             after 10 min (mon_osd_down_out_interval).
//   Akka      cluster heartbeats every 1 s, phi threshold 8, min std deviation 100 ms, acceptable pause 3 s,
//             1000 samples (akka-cluster reference.conf, failure-detector section).
//   Cassandra gossip every 1 s, phi_convict_threshold 8 (cassandra.yaml); inter-arrival times above 2 s are not
//             sampled (FailureDetector.java, MAX_INTERVAL_IN_NANO).
//   SWIM      (Das, Gupta, Motivala 2002) probes one random member per protocol period and suspects before it
//             declares dead, so a slow member can refute; the suspect → dead split here follows it.
// Edge peers are homes, shops and small sites on Wi-Fi, DSL or LTE: links are jittery and metered, machines reboot
// for updates, and each holds shards of few files. So heartbeats are slower than in a datacenter (less traffic on
// metered links), suspicion tolerates more jitter, and the dead-and-rebuild decision comes after about a minute: an
// edge peer holds few shards, so rebuilding them is cheap compared with HDFS moving a whole DataNode's terabytes.

/** How often a peer sends a heartbeat to the holders it shares files with. 5 s: slower than HDFS (3 s) and Akka
 *  (1 s) to spare metered links, still twelve chances inside the dead-after window. */
export const HEARTBEAT_INTERVAL_MS = 5_000

/** phi at or above this marks a peer suspect: Akka's and Cassandra's default 8, i.e. the detector is wrong about
 *  one time in 10^8 if inter-arrival times were normal (Hayashibara et al. 2004 used 1 to 16). */
export const PHI_SUSPECT_THRESHOLD = 8

/** No heartbeat for this long and a peer is dead whatever phi says: 60 s = 12 missed heartbeats. HDFS waits 10.5 min
 *  and Ceph 10 min before moving data because a datacenter node holds terabytes and usually comes back from a
 *  reboot; an edge peer's reboot takes 1–2 min, but its shards are few, and the repair grace below adds the rest. */
export const DEAD_AFTER_MS = 60_000

/** --dead-after must cover at least this many heartbeats: with fewer, one lost or late report (a GC pause, a busy
 *  link) declares a live holder dead and its shards are rebuilt for nothing. 3 is the fewest that survives one lost
 *  report plus the jitter of the next; the default is 12 and the fast test/demo settings 6 to 16. */
export const MIN_HEARTBEATS_PER_DEAD_AFTER = 3

/** Floor of the inter-arrival standard deviation: Akka uses 100 ms for 1 s heartbeats (10 %); 10 % of 5 s here.
 *  Without it, a peer on a perfectly regular link would be suspected after a few ms of lateness. */
export const MIN_STD_DEVIATION_MS = 500

/** Lateness that is not suspicious at all, added to the mean interval: Akka's acceptable-heartbeat-pause (3 s for 1 s
 *  heartbeats). One full missed heartbeat here (a Wi-Fi roam, a GC pause, a busy uplink). With the defaults a silent
 *  peer becomes suspect after about 13 s (mean 5 s + pause 5 s + ~5.6 σ). */
export const ACCEPTABLE_HEARTBEAT_PAUSE_MS = 5_000

/** Inter-arrival samples kept per peer: Akka's max-sample-size, 1000 (83 min of history at 5 s). */
export const MAX_SAMPLE_SIZE = 1000

/** Intervals at least this long are not sampled (a peer back from the dead must not teach the detector that long
 *  silences are normal): Cassandra drops intervals above 2 heartbeat periods; we drop those the detector itself
 *  already calls dead. */
export const MAX_SAMPLED_INTERVAL_MS = DEAD_AFTER_MS

/** A file whose holder is suspect (not yet dead) is queued for repair with this much delay, so a blip of a few
 *  seconds costs nothing: Ceph's down → out split. Equal to DEAD_AFTER_MS, so the repair of a merely slow peer
 *  starts around when it would be declared dead anyway; urgent files (live = k) do not wait for it. */
export const REPAIR_GRACE_MS = 60_000

/** Retry a failed repair after base · 2^(attempt-1), capped, with "equal jitter" (half fixed, half random; M. Brooker,
 *  "Exponential Backoff And Jitter", AWS Architecture Blog, 2015), so peers that failed together do not retry
 *  together. 10 s base and 10 min cap follow Kubernetes' CrashLoopBackOff (10 s doubling to 5 min), with a longer
 *  cap because a repair that keeps failing usually waits on a peer coming back. */
export const REPAIR_BACKOFF_BASE_MS = 10_000
export const REPAIR_BACKOFF_MAX_MS = 10 * 60_000

/** After this many failed attempts a job is parked with its last error (shown by `edgemirror status`) instead of
 *  retried forever: the 9 waits between 10 attempts add up to 20–40 min with the backoff above, time for a rebooting
 *  peer or a flapping uplink to come back. */
export const REPAIR_MAX_ATTEMPTS = 10

/** Carbon deferral applies only to files with at least k + this many live shards: they survive this many further
 *  peer losses while they wait. 2 = the usual m of small edge codes (e.g. 4+2), so a deferred file is as safe as a
 *  fresh 4+2 file. */
export const CARBON_DEFER_MARGIN = 2

/** Longest a repair is deferred for a greener window: 6 h reaches the midday solar trough or the night wind peak of
 *  most grids' daily cycle (the deferral window used by carbon-aware batch schedulers, e.g. Radovanović et al.,
 *  "Carbon-Aware Computing for Datacenters", IEEE Trans. Power Systems 2023, which shifts flexible load within a day).
 *  With margin ≥ 2 the chance of losing 2 more peers in 6 h is negligible for edge failure rates (docs/DURABILITY.md). */
export const CARBON_MAX_DELAY_MS = 6 * 60 * 60_000

/** Defer only when the best window is at least this much greener than now (10 %): forecasts are uncertain by about
 *  that much hour to hour, and a smaller gain is not worth the added exposure. */
export const CARBON_MIN_IMPROVEMENT = 0.1

/** Default --repair-rate: repair bytes this node sends or receives per second. 5 MB/s (40 Mbit/s) rebuilds a shard
 *  of a 1 GB 4+2 file (reading 1 GB) in under 4 minutes while leaving most of a fibre or cable link to its users;
 *  peers on DSL or LTE uplinks should set a lower rate (edgemirror daemon --repair-rate 1MB/s). */
export const DEFAULT_REPAIR_RATE = 5_000_000

/** Token bucket depth in seconds of rate: one second, as Guava's RateLimiter.create (SmoothBursty, maxBurstSeconds
 *  1.0): an idle limiter lets one second's worth through at once, then holds the average. */
export const REPAIR_BURST_SECONDS = 1
