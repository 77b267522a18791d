// Private swarms (#19 item 1): nodes with one swarm key form a swarm and move 1 MiB blocks through the XSalsa20 layer;
// a node with another key, or none, cannot connect, and the refusal is logged (swarm.key.refused, rate-limited); a file that is not a swarm key is a usage error. The xsalsa20
// package's memory bug that node/swarm-key.ts works around is reproduced in test/node/swarm-key.test.ts.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { EdgemirrorNode } from '../../node/edgemirror-node.ts'
import { newSwarmKey, readSwarmKey } from '../../node/swarm-key.ts'
import { checkDaemonOptions, daemonOptions } from '../../node/daemon-options.ts'
import { createEventLog } from '../../node/event-log.ts'
import { chunksOf, collect, startSwarm, waitFor } from './swarm.ts'

type LogLine = Record<string, unknown>

describe('private swarms', () => {
  it('nodes with the key share and fetch (1 MiB frames); a node with another key or none cannot connect, both ends log swarm.key.refused, and the swarm serves on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-pnet-'))
    const key = join(dir, 'swarm.key')
    const other = join(dir, 'other.key')
    await writeFile(key, await newSwarmKey(), { mode: 0o600 })
    await writeFile(other, await newSwarmKey(), { mode: 0o600 })
    const swarm = await startSwarm(4, () => ({ swarmKey: key }))
    const started: EdgemirrorNode[] = []
    const launchLogged = async (name: string, swarmKey: string | undefined): Promise<{ node: EdgemirrorNode, lines: LogLine[] }> => {
      const lines: LogLine[] = []
      const node = await EdgemirrorNode.launch({
        repo: join(dir, name.replace(' ', '-')), listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: 'off', gatewayMaxStreams: 8, cacheSize: 0, metrics: false, bootstrap: [], zone: 'z', region: 'r', capacity: null, mdns: false, carbon: 100, ...(swarmKey !== undefined ? { swarmKey } : {})
      }, { log: createEventLog({ format: 'json', write: (line) => { lines.push(JSON.parse(line)) } }) })
      started.push(node)
      return { node, lines }
    }
    const refusals = (lines: LogLine[], direction: string): LogLine[] => lines.filter(l => l.event === 'swarm.key.refused' && l.level === 'warn' && l.direction === direction)
    try {
      // 6 MiB in RS(2,1): 1 MiB blocks, so put and get frames of 1 MiB through every connection's XSalsa20 at once.
      const data = randomBytes(6 * 1024 * 1024)
      const shared = await swarm.nodes[0].share(chunksOf(data, 1024 * 1024), { size: data.byteLength, k: 2, m: 1 })
      for (const i of [1, 3]) {
        const read = await swarm.nodes[i].fetch(shared.cid)
        assert.ok((await collect(read.body)).equals(data))
        await read.done
      }
      // A member with a log: the outsiders dial it, so its inbound refusals can be read.
      const gate = await launchLogged('gate', key)
      await gate.node.connect(swarm.nodes[0].addresses[0])
      for (const [name, swarmKey] of [['another key', other], ['no key', undefined]] as const) {
        const outsider = await launchLogged(name, swarmKey)
        await assert.rejects(outsider.node.connect(gate.node.addresses[0]), `a node with ${name} is refused`)
        assert.equal((await outsider.node.peers()).length, 0)
        if (swarmKey !== undefined) {
          // The dialler's own line names where it dialled (a node without a key has no guard, and no line).
          await waitFor(() => refusals(outsider.lines, 'outbound').length > 0, 10_000, `${name}: the dialler logs swarm.key.refused`)
          assert.match(String(refusals(outsider.lines, 'outbound')[0].address), /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
        }
      }
      // The gate logged the first refusal at once; the second falls within SWARM_KEY_REFUSED_LOG_INTERVAL_MS and is
      // counted in the next line instead (rate limit), so exactly one inbound line here.
      await waitFor(() => refusals(gate.lines, 'inbound').length > 0, 10_000, 'the member logs swarm.key.refused')
      assert.equal(refusals(gate.lines, 'inbound').length, 1)
      assert.match(String(refusals(gate.lines, 'inbound')[0].address), /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/)
      assert.equal(gate.lines.filter(l => l.event === 'swarm.key.refused' && l.direction === 'outbound').length, 0, 'no refusal logged for a connection within the swarm')
      // Right after, the member that turned them away serves normal traffic.
      const read = await gate.node.fetch(shared.cid)
      assert.ok((await collect(read.body)).equals(data))
      await read.done
    } finally {
      await Promise.all(started.map(async o => { await o.stop() }))
      await swarm.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('--swarm-key must name a swarm key file: ERR_USAGE before anything starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-pnet-usage-'))
    try {
      await writeFile(join(dir, 'not-a-key'), 'hello\n')
      for (const path of [join(dir, 'missing'), join(dir, 'not-a-key'), dir]) {
        await assert.rejects(readSwarmKey(path), { code: 'ERR_USAGE' }, path)
        await assert.rejects(checkDaemonOptions({ ...daemonOptions(join(dir, 'repo'), {}), swarmKey: path }), { code: 'ERR_USAGE' }, path)
      }
      const good = join(dir, 'good.key')
      await writeFile(good, await newSwarmKey())
      assert.equal((await readSwarmKey(good)).byteLength, 95)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
