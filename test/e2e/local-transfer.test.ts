// The control API's local fast path (issue #18, decision 1; docs/ARCHITECTURE.md, "The local fast path"): the real CLI
// against real daemon processes sharing this file system, and the guards called through the API client directly.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { appendFile, mkdtemp, open, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ApiClient } from '../../node/api/client.ts'
import { DaemonSwarm } from '../harness/daemon-swarm.ts'

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** What the client's own fstat of `path` says, as the local routes take it. */
async function claimOf (path: string): Promise<{ path: string, dev: string, ino: string, size: number, mtimeNs: string }> {
  const info = await stat(path, { bigint: true })
  return { path, dev: String(info.dev), ino: String(info.ino), size: Number(info.size), mtimeNs: String(info.mtimeNs) }
}

describe('the local fast path: share and fetch through the daemon\'s own file access', () => {
  let root: string
  let files: string
  let swarm: DaemonSwarm
  let api: ApiClient

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-local-'))
    files = await mkdtemp(join(root, 'files-'))
    swarm = await DaemonSwarm.start({ root, count: 3 })
    api = await ApiClient.connect(swarm.repos[0])
  })

  after(async () => {
    await swarm?.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('share takes the local path, with the CID of the streamed share of the same bytes; fetch -o writes them locally', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 13)
    const file = join(files, 'data.bin')
    await writeFile(file, data)
    const local = await swarm.cli(0, ['share', file, '--k', '2', '--m', '1', '--json'])
    assert.equal(local.code, 0, local.stderr)
    assert.equal(local.json.transfer, 'local')
    const streamed = await swarm.cli(0, ['share', file, '--k', '2', '--m', '1', '--json', '--no-local'])
    assert.equal(streamed.code, 0, streamed.stderr)
    assert.equal(streamed.json.transfer, 'stream')
    assert.equal(local.json.cid, streamed.json.cid)
    assert.equal(local.json.size, data.length)

    const out = join(files, 'out.bin')
    const fetched = await swarm.cli(1, ['fetch', local.json.cid, '-o', out, '--json'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.equal(fetched.json.transfer, 'local')
    assert.equal(fetched.json.path, out)
    assert.equal(fetched.json.size, data.length)
    assert.deepEqual([fetched.json.verified, fetched.json.manifestSha256, fetched.json.sha256], ['blocks', sha256(data), undefined], 'the manifest\'s claim, not recomputed')
    assert.equal(sha256(await readFile(out)), sha256(data))
    assert.equal((await stat(out)).mode & 0o777, 0o644 & ~process.umask())

    const checked = await swarm.cli(1, ['fetch', local.json.cid, '-o', join(files, 'out-checked.bin'), '--sha256', '--json'])
    assert.equal(checked.code, 0, checked.stderr)
    assert.deepEqual([checked.json.transfer, checked.json.verified, checked.json.sha256], ['local', 'blocks+sha256', sha256(data)], '--sha256 on the local path hashes the written file')

    const outStreamed = join(files, 'out-streamed.bin')
    const again = await swarm.cli(2, ['fetch', local.json.cid, '-o', outStreamed, '--json', '--no-local'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.json.transfer, 'stream')
    assert.equal(sha256(await readFile(outStreamed)), sha256(data))
    assert.deepEqual((await readdir(files)).filter(n => n.endsWith('.part')), [], 'no temp file left')
  })

  it('share of a path that is a symlink falls back to streaming, and the file is shared all the same', async () => {
    const data = randomBytes(200_003)
    const target = join(files, 'linked.bin')
    const link = join(files, 'link.bin')
    await writeFile(target, data)
    await symlink(target, link)
    const r = await swarm.cli(0, ['share', link, '--k', '2', '--m', '1', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.transfer, 'stream')
    const direct = await swarm.cli(0, ['share', target, '--k', '2', '--m', '1', '--json'])
    assert.equal(direct.json.transfer, 'local')
    assert.equal(r.json.cid, direct.json.cid)
  })

  it('share-local refuses a file replaced or changed since the client looked at it, and what is not a regular file', async () => {
    const path = join(files, 'replaced.bin')
    await writeFile(path, randomBytes(5000))
    const stale = await claimOf(path)
    // Replaced: a new inode at the same path, same size.
    await writeFile(`${path}.new`, randomBytes(5000))
    await rename(`${path}.new`, path)
    await assert.rejects(api.shareLocal({ ...stale, k: 2, m: 1 }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /another file/ })
    // Changed in place: same inode, another size.
    const current = await claimOf(path)
    await appendFile(path, 'more')
    await assert.rejects(api.shareLocal({ ...current, k: 2, m: 1 }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /size/ })
    // A FIFO (opened without blocking, then refused) and a path that does not exist.
    const fifo = join(files, 'fifo')
    execFileSync('mkfifo', [fifo])
    await assert.rejects(api.shareLocal({ ...await claimOf(fifo), k: 2, m: 1 }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /not a regular file/ })
    await assert.rejects(api.shareLocal({ ...current, path: join(files, 'absent'), k: 2, m: 1 }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /ENOENT/ })
    // A relative path is a malformed request, not a mismatch to fall back from.
    await assert.rejects(api.shareLocal({ ...current, path: 'replaced.bin', k: 2, m: 1 }), { code: 'ERR_USAGE' })
  })

  it('fetch-local writes nothing through a symlink, into a non-empty file, or into another inode than the claimed one', async () => {
    const data = randomBytes(100_000)
    const source = join(files, 'to-fetch.bin')
    await writeFile(source, data)
    const cid = (await swarm.cli(0, ['share', source, '--k', '2', '--m', '1', '--json'])).json.cid as string

    // A symlink to an empty file, claiming that file's own dev and ino: O_NOFOLLOW refuses the link.
    const victim = join(files, 'victim')
    await writeFile(victim, '')
    const link = join(files, 'victim-link')
    await symlink(victim, link)
    const { dev, ino } = await claimOf(victim)
    await assert.rejects(api.fetchLocal({ cid, path: link, dev, ino }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /ELOOP/ })
    assert.equal((await stat(victim)).size, 0)

    // The right file, but not empty: the daemon only fills a file the client just created.
    const full = join(files, 'full')
    await writeFile(full, 'keep me')
    await assert.rejects(api.fetchLocal({ cid, ...pick(await claimOf(full)) }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /not empty/ })
    assert.equal(await readFile(full, 'utf8'), 'keep me')

    // An empty file, but not the inode claimed.
    const empty = join(files, 'empty')
    await writeFile(empty, '')
    const claim = pick(await claimOf(empty))
    await assert.rejects(api.fetchLocal({ cid, ...claim, ino: String(BigInt(claim.ino) + 1n) }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /another file/ })
    assert.equal((await stat(empty)).size, 0)

    // The daemon never creates the file.
    const absent = join(files, 'never-created')
    await assert.rejects(api.fetchLocal({ cid, path: absent, dev, ino }), { code: 'ERR_LOCAL_PATH_MISMATCH', message: /ENOENT/ })
    await assert.rejects(stat(absent), { code: 'ENOENT' })

    // And the claimed, empty file is filled (the CLI's temp file, as fetch -o makes it).
    const handle = await open(join(files, 'filled'), 'wx', 0o644)
    try {
      const result = await api.fetchLocal({ cid, ...pick(await claimOf(join(files, 'filled'))) })
      assert.equal(result.size, data.length)
      assert.equal(result.sha256, sha256(data))
    } finally {
      await handle.close()
    }
    assert.equal(sha256(await readFile(join(files, 'filled'))), sha256(data))
  })

  it('a fetch that fails mid-way leaves neither OUT nor its temp file', async () => {
    // 16 stripes of 2 x 32 KiB; the last block of two of the three shards is corrupted on disk, so the fetch writes
    // 15 stripes and then cannot rebuild the last one.
    const data = randomBytes(16 * 2 * 32 * 1024)
    const source = join(files, 'doomed.bin')
    await writeFile(source, data)
    const shared = await swarm.cli(0, ['share', source, '--k', '2', '--m', '1', '--block-size', String(32 * 1024), '--json'])
    assert.equal(shared.code, 0, shared.stderr)
    const shards = await swarm.storedShards(shared.json.cid)
    assert.equal(shards.length, 3)
    for (const shard of shards.slice(0, 2)) {
      const handle = await open(shard.path, 'r+')
      try {
        const { size } = await handle.stat()
        await handle.write(Buffer.from('corrupt!'), 0, 8, size - 8)
      } finally {
        await handle.close()
      }
    }
    const dir = await mkdtemp(join(files, 'out-'))
    const out = join(dir, 'doomed.bin')
    const r = await swarm.cli(1, ['fetch', shared.json.cid, '-o', out, '--json'])
    assert.equal(r.code, 1, r.stdout)
    assert.equal(JSON.parse(r.stderr.trim().split('\n').at(-1) as string).error.code, 'ERR_NOT_ENOUGH_SHARDS')
    assert.deepEqual(await readdir(dir), [], 'no OUT and no temp file')
  })
})

function pick (claim: { path: string, dev: string, ino: string }): { path: string, dev: string, ino: string } {
  return { path: claim.path, dev: claim.dev, ino: claim.ino }
}
