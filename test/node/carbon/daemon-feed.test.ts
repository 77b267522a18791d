// A bad carbon feed on a running node (#19 item 5): a --carbon-url that answers 500. The node starts
// and keeps running on the fallback (the country average, marked stale in status), says so in the operator's log
// (`carbon.feed`, warn), and shares and fetches as usual.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { EdgemirrorNode } from '../../../node/edgemirror-node.ts'
import { createEventLog } from '../../../node/event-log.ts'
import { waitFor } from '../../harness/poll.ts'
import { chunksOf, collect } from '../../swarm/swarm.ts'

describe('a node on a broken carbon feed', () => {
  it('starts, falls back to the country average, logs carbon.feed, and shares and fetches as usual', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-carbon-feed-'))
    const server: Server = createServer((req, res) => { res.writeHead(500).end('upstream down') })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const lines: Array<Record<string, unknown>> = []
    let node: EdgemirrorNode | undefined
    try {
      node = await EdgemirrorNode.launch({
        repo: join(dir, 'repo'), listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: 'off', gatewayMaxStreams: 8, cacheSize: 0, metrics: false, bootstrap: [], zone: 'z', region: 'r', capacity: null, mdns: false,
        carbonUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`, carbonCountry: 'DE'
      }, { log: createEventLog({ format: 'json', write: (line) => { lines.push(JSON.parse(line)) } }) })
      const running = node
      await waitFor(() => lines.some(l => l.event === 'carbon.feed' && l.level === 'warn'), 20_000, 'the failed read in the log')
      assert.match(String(lines.find(l => l.event === 'carbon.feed')?.message), /read 1 failed: .*500/)
      const { carbon } = await running.status()
      assert.equal(carbon.source, 'country:DE')
      assert.equal(carbon.stale, true)
      const data = randomBytes(50_000)
      const shared = await running.share(chunksOf(data), { size: data.byteLength, k: 1, m: 1, allowFewerPeers: true })
      const read = await running.fetch(shared.cid)
      assert.ok((await collect(read.body)).equals(data))
      await read.done
    } finally {
      await node?.stop()
      server.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
