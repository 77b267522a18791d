// The library as a user gets it: `import { createNode } from 'edgemirror'` resolves through package.json "exports" to
// the compiled dist/node/index.js (the repo's own package, by name), and three nodes in this process share, fetch,
// check and repair a file. The file is over OFFLOAD_MIN_BYTES, so the share also runs the compiled encode worker.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { NodeOptions, RunningNode } from 'edgemirror'
import { OFFLOAD_MIN_BYTES } from '../../coder/constants.ts'
import { ensureBuilt } from '../harness/build.ts'
import { waitFor } from '../harness/poll.ts'

describe('the library (import from "edgemirror")', { timeout: 180_000 }, () => {
  let root: string
  const nodes: RunningNode[] = []
  let lib: typeof import('edgemirror')

  before(async () => {
    ensureBuilt()
    // Imported here, once dist/ is current: a static import would load it before ensureBuilt() ran.
    lib = await import('edgemirror')
    root = await mkdtemp(join(tmpdir(), 'edgemirror-library-'))
    for (let i = 0; i < 3; i++) {
      const options: NodeOptions = { repo: join(root, `node-${i}`), listen: ['/ip4/127.0.0.1/tcp/0'], zone: `zone-${i}`, carbon: 100 }
      nodes.push(await lib.createNode(options))
    }
    for (const node of nodes.slice(1)) await node.connect(nodes[0].addresses[0])
    await waitFor(async () => {
      for (const node of nodes) if ((await node.peers()).length < 2) return false
      return true
    }, 30_000, 'every node to know both others')
  })

  after(async () => {
    try {
      await Promise.all(nodes.map(async (node) => { await node.stop() }))
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('resolves to the compiled package, not the sources', () => {
    assert.equal(import.meta.resolve('edgemirror'), new URL('../../dist/node/index.js', import.meta.url).href)
    assert.ok(fileURLToPath(import.meta.resolve('edgemirror')).endsWith('.js'))
  })

  it('shares, fetches, checks and repairs a file', async () => {
    const bytes = randomBytes(OFFLOAD_MIN_BYTES + 123_457)
    const shared = await nodes[0].share((async function * () { yield bytes })(), { size: bytes.length, name: 'data.bin', k: 2, m: 1 })
    assert.equal(shared.size, bytes.length)
    assert.equal(new Set(shared.shards.map(s => s.peer)).size, 3, 'one shard per node')

    const fetched = await nodes[2].fetch(shared.cid)
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of fetched.body) {
      hash.update(chunk)
      size += chunk.length
    }
    const report = await fetched.done
    assert.equal(size, bytes.length)
    assert.equal(hash.digest('hex'), createHash('sha256').update(bytes).digest('hex'))
    assert.equal(fetched.sha256, createHash('sha256').update(bytes).digest('hex'))
    assert.deepEqual(report.rebuilt, [])

    const checked = await nodes[1].check(shared.cid)
    assert.equal(checked.healthy, true)
    assert.equal(checked.live, 3)

    const repaired = await nodes[1].repair(shared.cid)
    assert.equal(repaired.healthy, true)
    assert.deepEqual(repaired.rebuilt, [])
  })

  it('refuses a second node on a repo in use, with ERR_REPO_LOCKED', async () => {
    await assert.rejects(lib.createNode({ repo: join(root, 'node-0'), listen: ['/ip4/127.0.0.1/tcp/0'] }),
      (err: unknown) => err instanceof lib.EdgemirrorError && err.code === 'ERR_REPO_LOCKED')
  })
})
