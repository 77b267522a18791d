import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { FsShardStore } from '../../../node/store/fs-shard-store.ts'
import { ownershipOf, pattern, putShard, readAll, runShardStoreCompliance, testCid } from './compliance.ts'

async function tempDir (): Promise<string> {
  return mkdtemp(join(tmpdir(), 'edgemirror-store-'))
}

runShardStoreCompliance('FsShardStore', async (options = {}) => {
  const dir = await tempDir()
  return {
    store: new FsShardStore({ dir: join(dir, 'store'), capacity: options.capacity }),
    cleanup: async () => { await rm(dir, { recursive: true, force: true }) }
  }
})

describe('FsShardStore on disk', () => {
  let root: string
  let n = 0
  const A = testCid('aaaa')
  const B = testCid('bbbb')
  const freshDir = (): string => join(root, `store-${n++}`)

  before(async () => { root = await tempDir() })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  it('keeps ownership records across a restart, and ignores a malformed or misnamed one', async () => {
    const dir = freshDir()
    const store = new FsShardStore({ dir })
    await store.start()
    await store.updateOwnership(A, () => ({ ...ownershipOf(A, ['peerA'], ['peerA']), purgeAt: 7 }))
    await store.updateOwnership(B, () => ownershipOf(B, ['peerB']))
    await store.stop()
    assert.deepEqual((await readdir(join(dir, 'tmp'))), [], 'no temp file left')
    await writeFile(join(dir, 'ownership', `${B}.json`), '{"version":1,"owners":[{"cid":"x"}]', { mode: 0o600 }) // torn by hand
    await writeFile(join(dir, 'ownership', 'not-a-cid.json'), JSON.stringify({ version: 1, owners: [], tombstones: [] }))
    await writeFile(join(dir, 'ownership', `${testCid('cccc')}.json`), 'x'.repeat(70 * 1024))
    const again = new FsShardStore({ dir })
    await again.start()
    assert.deepEqual(await again.getOwnership(A), { ...ownershipOf(A, ['peerA'], ['peerA']), purgeAt: 7 })
    assert.equal(await again.getOwnership(B), undefined)
    assert.deepEqual(await again.listOwnership(), [A])
    const onDisk = JSON.parse(await readFile(join(dir, 'ownership', `${A}.json`), 'utf8'))
    assert.equal(onDisk.version, 1)
    assert.equal(typeof onDisk.owners[0].signature, 'string', 'signatures are base64 on disk')
    await again.stop()
  })

  it('creates the layout with private permissions', async () => {
    const dir = freshDir()
    const store = new FsShardStore({ dir })
    await store.start()
    assert.deepEqual((await readdir(dir)).sort(), ['manifests', 'ownership', 'quarantine', 'shards', 'tmp'])
    await putShard(store, A, 0, pattern(10))
    await store.putManifest(A, pattern(5))
    for (const path of [dir, join(dir, 'shards'), join(dir, 'shards', A), join(dir, 'manifests'), join(dir, 'tmp'), join(dir, 'quarantine')]) {
      assert.equal((await stat(path)).mode & 0o077, 0, path)
    }
    for (const path of [join(dir, 'shards', A, '0'), join(dir, 'manifests', A)]) {
      const info = await lstat(path)
      assert.ok(info.isFile())
      assert.equal(info.mode & 0o077, 0, path)
      assert.equal(info.mode & 0o111, 0, path)
    }
    assert.deepEqual(await readdir(join(dir, 'tmp')), [])
    await store.stop()
  })

  it('removes leftover tmp files on start', async () => {
    const dir = freshDir()
    await mkdir(join(dir, 'tmp', 'nested'), { recursive: true })
    await writeFile(join(dir, 'tmp', '1234-deadbeef.shard'), 'torn')
    await writeFile(join(dir, 'tmp', 'nested', 'x'), 'x')
    const store = new FsShardStore({ dir })
    await store.start()
    assert.deepEqual(await readdir(join(dir, 'tmp')), [])
    assert.deepEqual(await store.stats(), { shards: 0, manifests: 0, bytes: 0, reservedBytes: 0, capacity: null, freeBytes: Infinity })
    await store.stop()
  })

  it('a reopened store sees committed data and counts it against the capacity', async () => {
    const dir = freshDir()
    const first = new FsShardStore({ dir })
    await first.start()
    await first.putManifest(A, pattern(50))
    await putShard(first, A, 0, pattern(1000, 1))
    await putShard(first, A, 5, pattern(2000, 2))
    await putShard(first, B, 1, pattern(300, 3))
    await first.deleteShard(B, 1)
    await first.stop()

    const second = new FsShardStore({ dir, capacity: 4000 })
    await second.start()
    assert.deepEqual(await second.stats(), { shards: 2, manifests: 1, bytes: 3050, reservedBytes: 0, capacity: 4000, freeBytes: 950 })
    assert.deepEqual(await second.listShards(), [{ cid: A, index: 0, size: 1000 }, { cid: A, index: 5, size: 2000 }])
    assert.deepEqual(await second.listManifests(), [A])
    assert.deepEqual(await readAll(second.readShard(A, 5)), pattern(2000, 2))
    assert.deepEqual(await second.getManifest(A), pattern(50))
    await assert.rejects(second.createShardWriter(951), { code: 'ERR_STORE_FULL' })
    // the emptied cid directory was removed
    assert.deepEqual(await readdir(join(dir, 'shards')), [A])
    await second.stop()
  })

  it('a shard written but not committed is not visible after a crash', async () => {
    const dir = freshDir()
    const crashed = new FsShardStore({ dir })
    await crashed.start()
    await putShard(crashed, A, 0, pattern(10))
    const writer = await crashed.createShardWriter(100)
    await writer.write(pattern(60))
    // no commit, no stop: the process "dies" here and a new one opens the same directory
    assert.equal((await readdir(join(dir, 'tmp'))).length, 1)

    const reopened = new FsShardStore({ dir })
    await reopened.start()
    assert.deepEqual(await reopened.listShards(), [{ cid: A, index: 0, size: 10 }])
    assert.deepEqual(await readdir(join(dir, 'tmp')), [])
    assert.deepEqual(await reopened.stats(), { shards: 1, manifests: 0, bytes: 10, reservedBytes: 0, capacity: null, freeBytes: Infinity })
    await reopened.stop()
    await writer.abort() // the "dead" writer's file is already gone: abort must not fail
  })

  it('a process killed with SIGKILL mid-write leaves no torn shard', async () => {
    const dir = freshDir()
    const fixture = fileURLToPath(new URL('./fixtures/put-until-killed.ts', import.meta.url))
    const polyfill = fileURLToPath(new URL('../../../node/polyfill.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', polyfill, fixture, dir, A], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise<NodeJS.Signals | null>(resolve => child.once('exit', (_code, signal) => { resolve(signal) }))
    try {
      await new Promise<void>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (data: Buffer) => {
          out += data.toString()
          if (out.includes('writing\n')) resolve()
        })
        child.once('exit', code => { reject(new Error(`fixture exited early with ${String(code)}`)) })
      })
      assert.ok((await readdir(join(dir, 'tmp'))).length > 0)
    } finally {
      child.kill('SIGKILL')
    }
    assert.equal(await exited, 'SIGKILL')

    const store = new FsShardStore({ dir })
    await store.start()
    assert.deepEqual(await store.listShards(), [{ cid: A, index: 0, size: 4 }])
    assert.deepEqual(await readAll(store.readShard(A, 0)), new Uint8Array([1, 2, 3, 4]))
    assert.deepEqual(await readdir(join(dir, 'tmp')), [])
    assert.equal((await store.stats()).bytes, 4)
    await store.stop()
  })

  it('quarantine moves the file under quarantine/ with a reason', async () => {
    const dir = freshDir()
    const store = new FsShardStore({ dir })
    await store.start()
    await putShard(store, A, 3, pattern(40))
    await store.quarantineShard(A, 3, 'block 2 hash mismatch')
    await putShard(store, A, 3, pattern(40))
    await store.quarantineShard(A, 3, 'again')
    const names = (await readdir(join(dir, 'quarantine'))).sort()
    assert.equal(names.length, 4)
    const data = names.filter(name => !name.endsWith('.reason'))
    assert.equal(data.length, 2)
    for (const name of data) {
      assert.match(name, new RegExp(`^${A}\\.3\\.[0-9]+$`))
      assert.deepEqual(new Uint8Array(await readFile(join(dir, 'quarantine', name))), pattern(40))
      const note = JSON.parse(await readFile(join(dir, 'quarantine', `${name}.reason`), 'utf8'))
      assert.equal(note.cid, A)
      assert.equal(note.index, 3)
      assert.equal(note.size, 40)
      assert.ok(['block 2 hash mismatch', 'again'].includes(note.reason))
    }
    assert.deepEqual(await readdir(join(dir, 'shards')), [])
    // quarantined files stay out of the served set after a restart too
    await store.stop()
    const reopened = new FsShardStore({ dir })
    await reopened.start()
    assert.deepEqual(await reopened.listShards(), [])
    assert.equal((await reopened.stats()).bytes, 0)
    await reopened.stop()
  })

  it('ignores entries it did not write and never follows symlinks', async () => {
    const dir = freshDir()
    const outside = join(root, `secret-${n++}`)
    await writeFile(outside, 'secret')
    await mkdir(join(dir, 'shards', 'not-a-cid'), { recursive: true })
    await writeFile(join(dir, 'shards', 'not-a-cid', '0'), 'x')
    await mkdir(join(dir, 'shards', A), { recursive: true })
    await writeFile(join(dir, 'shards', A, '007'), 'x')
    await writeFile(join(dir, 'shards', A, '256'), 'x')
    await symlink(outside, join(dir, 'shards', A, '1'))
    await mkdir(join(dir, 'manifests'), { recursive: true })
    await writeFile(join(dir, 'manifests', '.DS_Store'), 'x')
    await symlink(outside, join(dir, 'manifests', B))
    const store = new FsShardStore({ dir })
    await store.start()
    assert.deepEqual(await store.listShards(), [])
    assert.deepEqual(await store.listManifests(), [])
    assert.equal((await store.stats()).bytes, 0)
    await assert.rejects(readAll(store.readShard(A, 1)), { code: 'ERR_NOT_FOUND' })
    assert.equal(await store.getManifest(B), undefined)
    // a symlink swapped in for a committed shard after start() is refused, not followed
    await putShard(store, A, 2, pattern(3))
    await rm(join(dir, 'shards', A, '2'))
    await symlink(outside, join(dir, 'shards', A, '2'))
    await assert.rejects(readAll(store.readShard(A, 2)), { code: 'ERR_STORE_CORRUPT' })
    await store.stop()
  })

  it('a shard truncated or grown behind its back fails every read with ERR_STORE_CORRUPT, even a range it still holds', async () => {
    const dir = freshDir()
    const store = new FsShardStore({ dir })
    await store.start()
    await putShard(store, A, 0, pattern(1000))
    await putShard(store, A, 1, pattern(1000))
    await truncate(join(dir, 'shards', A, '0'), 400)
    await writeFile(join(dir, 'shards', A, '1'), pattern(10), { flag: 'a' })
    for (const index of [0, 1]) {
      await assert.rejects(readAll(store.readShard(A, index, { offset: 0, length: 100 })), { code: 'ERR_STORE_CORRUPT' })
      await assert.rejects(readAll(store.readShard(A, index)), { code: 'ERR_STORE_CORRUPT' })
    }
    await store.stop()
  })

  it('refuses every operation before start()', async () => {
    const store = new FsShardStore({ dir: freshDir() })
    await assert.rejects(store.stats(), { code: 'ERR_STORE_NOT_STARTED' })
    await assert.rejects(store.createShardWriter(1), { code: 'ERR_STORE_NOT_STARTED' })
    await assert.rejects(readAll(store.readShard(A, 0)), { code: 'ERR_STORE_NOT_STARTED' })
  })
})
