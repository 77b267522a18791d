// Prometheus metrics of one node (prom-client, text exposition format 0.0.4) served at /metrics on the gateway
// address: what the gateway served, the edge cache, the store, peers, repair, scrub and carbon. Names follow the
// Prometheus conventions (https://prometheus.io/docs/practices/naming/): an `edgemirror_` prefix, base units
// (`_seconds`, `_bytes`), `_total` on counters. Only numbers: no CIDs, peer ids or paths (nothing a scraper could
// learn about what is stored). The catalogue: docs/GATEWAY.md.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { StatusResult } from '../api/types.ts'
import type { CacheCounters } from './edge-cache.ts'
import type { GatewayObserver } from './gateway-server.ts'

/** Time to first byte, seconds: from a local-disk hit (~1 ms) to a cold read across a WAN (~1 s). */
const TTFB_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5]
/** Whole responses, seconds: a small file in ms to a multi-GiB one over minutes. */
const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900]

export interface NodeMetricsSources {
  status: () => Promise<StatusResult>
  cache?: () => CacheCounters
}

export class NodeMetrics implements GatewayObserver {
  private readonly registry = new Registry()
  private readonly requests: Counter<'code'>
  private readonly sentBytes: Counter<'code'>
  private readonly firstByteSeconds: Histogram
  private readonly durationSeconds: Histogram<'code'>
  /** Values mirrored from the node's own counters at each scrape (they count from the daemon's start). */
  private readonly mirrored: Array<{ metric: Counter | Gauge, read: (s: StatusResult, c: CacheCounters | undefined) => number | undefined }> = []

  constructor (private readonly sources: NodeMetricsSources) {
    const registers = [this.registry]
    this.requests = new Counter({ name: 'edgemirror_gateway_requests_total', help: 'Gateway responses, by HTTP status code', labelNames: ['code'], registers })
    this.sentBytes = new Counter({ name: 'edgemirror_gateway_sent_bytes_total', help: 'Body bytes the gateway sent, by HTTP status code', labelNames: ['code'], registers })
    this.firstByteSeconds = new Histogram({ name: 'edgemirror_gateway_time_to_first_byte_seconds', help: 'From request to response headers, for responses with a body', buckets: TTFB_BUCKETS, registers })
    this.durationSeconds = new Histogram({ name: 'edgemirror_gateway_response_duration_seconds', help: 'From request to the end of the response, by HTTP status code', labelNames: ['code'], buckets: DURATION_BUCKETS, registers })
    const counter = (name: string, help: string, read: (s: StatusResult, c: CacheCounters | undefined) => number | undefined): void => {
      this.mirrored.push({ metric: new Counter({ name, help, registers }), read })
    }
    const gauge = (name: string, help: string, read: (s: StatusResult, c: CacheCounters | undefined) => number | undefined): void => {
      this.mirrored.push({ metric: new Gauge({ name, help, registers }), read })
    }
    counter('edgemirror_cache_hits_total', 'Gateway reads answered from the edge cache', (_s, c) => c?.hits)
    counter('edgemirror_cache_misses_total', 'Gateway reads the edge cache could not answer', (_s, c) => c?.misses)
    gauge('edgemirror_cache_bytes', 'Bytes in the edge cache', (_s, c) => c?.bytes)
    gauge('edgemirror_cache_capacity_bytes', 'Most bytes the edge cache may hold', (_s, c) => c?.capacity)
    gauge('edgemirror_store_shards', 'Shards this node stores', s => s.shards)
    gauge('edgemirror_store_bytes', 'Bytes of shards this node stores', s => s.bytes)
    gauge('edgemirror_store_manifests', 'Manifests this node stores', s => s.manifests)
    counter('edgemirror_shard_sent_bytes_total', 'Bytes of shard blocks this node sent to readers', s => s.shardsSent.bytes)
    gauge('edgemirror_peers', 'Peers this node is connected to', s => s.peers)
    gauge('edgemirror_repair_queue_length', 'Repair jobs this node leads that are not finished', s => s.repairJobs.length)
    counter('edgemirror_repairs_total', 'Repairs this node completed', s => s.repairsDone)
    counter('edgemirror_repairs_failed_total', 'Repairs this node gave up on', s => s.repairsFailed)
    counter('edgemirror_repaired_bytes_total', 'Bytes of shards this node rebuilt', s => s.bytesRepaired)
    gauge('edgemirror_files_lost', 'Files seen with fewer than k live shards', s => s.filesLost)
    counter('edgemirror_scrub_passes_total', 'Completed scrub passes over the store', s => s.scrub.passes)
    counter('edgemirror_scrubbed_bytes_total', 'Bytes of shards re-hashed by the scrubber', s => s.scrub.bytesScrubbed)
    counter('edgemirror_scrub_corrupt_total', 'Shards the scrubber found corrupt', s => s.scrub.corruptFound)
    gauge('edgemirror_carbon_intensity_grams_per_kilowatt_hour', 'Carbon intensity of this node\'s electricity in use, gCO2/kWh', s => s.carbon.gco2PerKwh)
  }

  firstByte (seconds: number): void {
    this.firstByteSeconds.observe(seconds)
  }

  response (status: number, bytes: number, seconds: number): void {
    const code = String(status)
    this.requests.inc({ code })
    this.sentBytes.inc({ code }, bytes)
    this.durationSeconds.observe({ code }, seconds)
  }

  /** One status snapshot per scrape, so every value in it comes from the same moment. */
  async exposition (): Promise<{ contentType: string, body: string }> {
    const status = await this.sources.status()
    const cache = this.sources.cache?.()
    for (const { metric, read } of this.mirrored) {
      const value = read(status, cache)
      metric.reset()
      if (value === undefined) continue
      if (metric instanceof Gauge) metric.set(value)
      else metric.inc(value)
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
