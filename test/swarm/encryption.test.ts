// Encryption at rest (share --encrypt, docs/ENCRYPTION.md) on a real loopback swarm: no holder's disk (shards,
// manifests, the edge cache) has a byte of plaintext, the capability reads the file back (any node, the gateway with
// Range), a wrong key or a bare CID is refused before a byte is sent, and repair rebuilds a lost shard without the key.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { encodeCapability, parseCapability } from '../../coder/capability.ts'
import { chunksOf, collect, FAST_DETECTION, startSwarm, waitFor, type TestSwarm } from './swarm.ts'

/** RS(2,1) on 5 nodes: two nodes to spare, so a dead holder's shard has somewhere to go. */
const K = 2
const M = 1
const BLOCK = 16 * 1024
/** Not a multiple of the stripe, of the AES block or of the marker's period: every edge is crossed. */
const SIZE = 300_001
/** The node with an edge cache (it keeps stripes it served: they must be ciphertext too). */
const CACHED = 1
const DEADLINE_MS = 30_000

/** A file with a 64-byte random marker every 1000 bytes: any 16 KiB block of its plaintext holds the marker. */
function markedFile (marker: Buffer): Buffer {
  const data = randomBytes(SIZE)
  for (let at = 0; at + marker.byteLength <= SIZE; at += 1000) marker.copy(data, at)
  return data
}

/** Every regular file under `dir` (recursively), or none when it does not exist. */
async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name))
}

describe('encryption at rest on a 5-node loopback swarm', () => {
  let swarm: TestSwarm
  const marker = randomBytes(64)
  const data = markedFile(marker)
  let cid: string
  let capability: string
  const gateway = (node: number, path: string): string => `${swarm.nodes[node].gatewayUrl ?? ''}/f/${path}`

  before(async () => {
    swarm = await startSwarm(5, i => ({ ...FAST_DETECTION, cacheSize: i === CACHED ? 64 * 1024 * 1024 : 0 }))
    const shared = await swarm.nodes[0].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: BLOCK, name: 'secret.bin', encrypt: true })
    assert.ok(shared.capability !== undefined, 'an encrypted share answers with a capability')
    cid = shared.cid
    capability = shared.capability
    assert.equal(parseCapability(capability).cid, cid)
  })
  after(async () => { await swarm?.stop() })

  it('reads back with the capability from any node, and the manifest says encrypted without the plaintext hash', async () => {
    for (const reader of [0, 3]) {
      const start = await swarm.nodes[reader].fetch(capability)
      assert.ok((await collect(start.body)).equals(data), `node ${reader} read the plaintext`)
      assert.equal(start.cid, cid)
      assert.equal(start.sha256, null, 'no plaintext hash to check against')
      await start.done
    }
    const manifest = await swarm.nodes[2].fetchManifest(cid)
    assert.equal(manifest.version, 3)
    assert.ok(!Buffer.from(manifest.fileHash).equals(Buffer.from(createHash('sha256').update(data).digest())), 'the manifest does not hold the plaintext SHA-256')
  })

  it('a wrong key is ERR_WRONG_KEY and a bare CID ERR_KEY_REQUIRED, before any byte; the gateway answers 403 with no file bytes', async () => {
    const wrong = encodeCapability({ cid, key: randomBytes(32) })
    await assert.rejects(swarm.nodes[2].fetch(wrong), { code: 'ERR_WRONG_KEY' })
    await assert.rejects(swarm.nodes[2].fetch(cid), { code: 'ERR_KEY_REQUIRED' })
    for (const [path, code] of [[wrong, 'ERR_WRONG_KEY'], [cid, 'ERR_KEY_REQUIRED']]) {
      const res = await fetch(gateway(2, path), { headers: { range: 'bytes=0-99' } })
      assert.equal(res.status, 403)
      const body = await res.json() as { error: { code: string, message: string } }
      assert.equal(body.error.code, code)
      assert.ok(!body.error.message.includes(path.split('.')[2] ?? '\0'), 'the key is not echoed')
    }
    const malformed = await fetch(gateway(2, `${capability}x`))
    assert.equal(malformed.status, 400)
    assert.equal((await malformed.json() as { error: { code: string } }).error.code, 'ERR_INVALID_CAPABILITY')
  })

  it('the gateway serves /f/<capability> with Range, HEAD and the CID as ETag, kept out of shared caches', async () => {
    for (const [start, end] of [[0, 99], [12_345, 67_890], [65_535, 65_537], [SIZE - 17, SIZE - 1]]) {
      const res = await fetch(gateway(CACHED, capability), { headers: { range: `bytes=${start}-${end}` } })
      assert.equal(res.status, 206, `bytes ${start}-${end}: ${res.status === 206 ? '' : await res.text()}`)
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${SIZE}`)
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(start, end + 1)), `bytes ${start}-${end}`)
    }
    const whole = await fetch(gateway(CACHED, `${capability}/secret.bin`))
    assert.equal(whole.status, 200)
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(data))
    assert.equal(whole.headers.get('etag'), `"${cid}"`)
    assert.match(whole.headers.get('cache-control') ?? '', /^private/)
    assert.equal(whole.headers.get('referrer-policy'), 'no-referrer')
    const head = await fetch(gateway(4, capability), { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), String(SIZE))
    const again = await fetch(gateway(CACHED, capability), { headers: { range: 'bytes=100-199' } })
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(data.subarray(100, 200)), 'a read from the edge cache decrypts the same')
    assert.ok(((await swarm.nodes[CACHED].status()).cache?.hits ?? 0) > 0, 'the second read came from the cache')
  })

  it('no shard, manifest, share record or cached stripe on any disk holds the plaintext marker or the key (a plain share of the same bytes does)', async () => {
    const keyText = capability.split('.')[2]
    const scan = async (what: string): Promise<{ files: number, marked: string[] }> => {
      const files = (await Promise.all(swarm.repos.map(async repo => await filesUnder(repo)))).flat()
        .filter(f => f.includes(what))
      const marked: string[] = []
      for (const file of files) {
        const bytes = await readFile(file)
        if (bytes.includes(marker) || bytes.includes(keyText)) marked.push(file)
      }
      return { files: files.length, marked }
    }
    const encrypted = await scan(cid)
    assert.ok(encrypted.files >= K + M + 1, `the scan found the shards, manifests and cache of ${cid} (${encrypted.files} files)`)
    assert.deepEqual(encrypted.marked, [])
    const record = await readFile(join(swarm.repos[0], 'shares', `${cid}.json`), 'utf8')
    assert.ok(!record.includes(keyText), 'the share record has no key')
    // The control: the same search finds the marker in a plain share's data shards, so it can fail.
    const plain = await swarm.nodes[0].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: BLOCK })
    assert.equal(plain.capability, undefined)
    assert.ok((await scan(plain.cid)).marked.length >= K, 'every data shard of the plain share shows the marker')
  })

  it('with --replicas (k = 1) too', async () => {
    const replicated = await swarm.nodes[3].share(chunksOf(data), { size: SIZE, k: 1, m: 2, blockSize: BLOCK, encrypt: true })
    const start = await swarm.nodes[4].fetch(replicated.capability as string)
    assert.ok((await collect(start.body)).equals(data))
    await start.done
    await assert.rejects(swarm.nodes[4].fetch(replicated.cid), { code: 'ERR_KEY_REQUIRED' })
  })

  it('repair rebuilds a dead holder\'s shard without the key, and the capability still reads the file', async () => {
    const ids = swarm.nodes.map(n => n.peerId)
    const check = await swarm.nodes[0].check(cid)
    const victim = check.shards.map(s => ids.indexOf(s.peer ?? '')).find(i => i > 1) as number
    assert.ok(victim !== undefined, 'a holder other than the sharer and the cache node')
    await swarm.kill(victim)
    await waitFor(async () => {
      const now = await swarm.nodes[0].check(cid)
      const live = new Set(swarm.alive().map(i => ids[i]))
      return now.healthy && now.shards.filter(s => s.peer !== null && live.has(s.peer)).length === K + M
    }, DEADLINE_MS, 'the lost shard rebuilt on a live node')
    const reader = swarm.alive().find(i => i !== 0 && i !== CACHED) as number
    const start = await swarm.nodes[reader].fetch(capability)
    assert.ok((await collect(start.body)).equals(data))
    assert.deepEqual((await start.done).missing, [])
  })
})
