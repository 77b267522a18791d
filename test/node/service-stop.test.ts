// Every service stops within a deadline whatever it is doing (issue #13: a daemon stayed up for an hour after SIGTERM
// because one stop() waited on work that never ended). Each test makes its service busy with something that only an
// abort can end (a dial, an exchange, an HTTP request, a rate-limiter wait, a write in progress), stops it, and checks
// that stop() resolved in time and that the work was told to end. The scrubber's case is in repair/scrubber.test.ts,
// the shard server's (in-flight streams) in test/swarm/stream-limits.test.ts.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { urlCarbonProvider } from '../../node/carbon/index.ts'
import { ManifestCache } from '../../node/manifest-cache.ts'
import { MeshKeeper } from '../../node/membership/mesh.ts'
import { DEFAULT_WEIGHTS } from '../../node/placement/index.ts'
import { RateLimiter } from '../../node/repair/rate-limiter.ts'
import { RepairService } from '../../node/repair/repair-service.ts'
import type { Dialer } from '../../node/transfer/shard-client.ts'
import { FsShardStore } from '../../node/store/fs-shard-store.ts'
import { MemoryShardStore } from '../../node/store/memory-shard-store.ts'
import { STOP_DEADLINE_MS, waitFor, withDeadline } from '../swarm/swarm.ts'

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const id = (n: number): string => `12D3KooW${String(n).padStart(44, 'A')}`

/** Work that ends only when its signal aborts (what a libp2p dial to an unresponsive peer does). */
function untilAborted (seen: AbortSignal[]): (signal?: AbortSignal) => Promise<never> {
  return async (signal) => {
    if (signal === undefined) throw new Error('the service gave no signal: nothing could ever end this work')
    seen.push(signal)
    return await new Promise<never>((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason)
      signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
    })
  }
}

describe('stop() is bounded while a service is busy', () => {
  it('MeshKeeper: stop aborts a peer exchange and a dial in flight and waits for them', async () => {
    const exchanges: AbortSignal[] = []
    const dials: AbortSignal[] = []
    const hangExchange = untilAborted(exchanges)
    const hangDial = untilAborted(dials)
    let calls = 0
    const mesh = new MeshKeeper({
      selfId: id(0),
      connectedPeers: () => [id(1)],
      // The first exchange answers with a new peer (whose dial hangs), the next ones hang.
      exchange: async (_peer, signal) => ++calls === 1 ? [{ peerId: id(2), addresses: ['/ip4/127.0.0.1/tcp/9'] }] : await hangExchange(signal),
      dial: async (_peer, _addresses, signal) => { await hangDial(signal) }
    })
    mesh.start()
    mesh.onConnect(id(1))
    mesh.onConnect(id(1))
    await waitFor(() => dials.length > 0 && exchanges.length > 0, 5000, 'an exchange and a dial in flight')
    await withDeadline(mesh.stop(), STOP_DEADLINE_MS, 'MeshKeeper.stop()')
    assert.ok(exchanges.every(s => s.aborted), 'the exchange was told to end')
    assert.ok(dials.every(s => s.aborted), 'the dial was told to end')
  })

  it('RepairService: stop ends a round whose shard reports hang', async () => {
    const store = new MemoryShardStore()
    await store.start()
    await store.putManifest(CID, new Uint8Array([0x80]))
    const asked: AbortSignal[] = []
    const hang = untilAborted(asked)
    const dial: Dialer = async (_peer, _protocol, options) => await hang(options?.signal)
    // A heartbeat far above the stop deadline: the round's own timeout must not be what ends it.
    const service = new RepairService({
      selfId: id(0),
      store,
      manifests: new ManifestCache(store),
      dial,
      connectedPeers: () => [id(1), id(2)],
      candidates: async () => [],
      weights: DEFAULT_WEIGHTS,
      rttOf: () => undefined,
      locate: () => undefined
    }, { heartbeatMs: 5 * STOP_DEADLINE_MS })
    // The first round starts one heartbeat after start(); run one by hand instead of waiting for it.
    service.start()
    const round = service.tick()
    try {
      await waitFor(() => asked.length === 2, 5000, 'both peers to be asked')
      await withDeadline(service.stop(), STOP_DEADLINE_MS, 'RepairService.stop()')
      await withDeadline(round, STOP_DEADLINE_MS, 'the round in flight')
      assert.ok(asked.every(s => s.aborted), 'every report request was told to end')
    } finally {
      await store.stop()
    }
  })

  it('RateLimiter: a wait for a huge debt ends at once when its signal aborts, and gives its bytes back', async () => {
    const limiter = new RateLimiter({ bytesPerSecond: 1000 })
    const controller = new AbortController()
    const waiting = limiter.take(10_000_000, { signal: controller.signal })
    controller.abort()
    await assert.rejects(withDeadline(waiting, STOP_DEADLINE_MS, 'the aborted take'), { code: 'ERR_ABORTED' })
    await withDeadline(limiter.take(500), STOP_DEADLINE_MS, 'a small take after the abort')
  })

  it('SeriesProvider (--carbon-url): stop aborts a request the server never answers', async () => {
    const requests: IncomingMessage[] = []
    const server = createServer((req) => { requests.push(req) }) // never answers
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const provider = urlCarbonProvider(`http://127.0.0.1:${port}/series.json`, { fetchTimeoutMs: 10 * STOP_DEADLINE_MS })
    try {
      const starting = provider.start()
      await waitFor(() => requests.length > 0, 5000, 'the provider to ask the server')
      await withDeadline(provider.stop(), STOP_DEADLINE_MS, 'SeriesProvider.stop()')
      await withDeadline(starting, STOP_DEADLINE_MS, 'start() after stop()')
      assert.equal(provider.current().source !== undefined, true, 'still answers from its fallback')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('FsShardStore: stop aborts open writers, releases their space and removes their temp files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-stop-store-'))
    const store = new FsShardStore({ dir, capacity: 10 * 1024 * 1024 })
    try {
      await store.start()
      const writer = await store.createShardWriter(4 * 1024 * 1024)
      const writing = writer.write(new Uint8Array(1024 * 1024)) // not awaited: stop() comes while it runs
      assert.equal((await store.stats()).reservedBytes, 4 * 1024 * 1024)
      await withDeadline(store.stop(), STOP_DEADLINE_MS, 'FsShardStore.stop()')
      await writing.catch(() => {}) // it may have finished before the abort or have been cut off: either is fine
      assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'no temp file left')
      await store.start()
      const stats = await store.stats()
      assert.equal(stats.reservedBytes, 0)
      assert.equal(stats.bytes, 0)
      await store.stop()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
