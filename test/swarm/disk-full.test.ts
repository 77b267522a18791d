// A holder whose disk fills up mid-write (#19 item 5, "disk full"): its repo is on a 2 MiB tmpfs and no --capacity is
// set, so the store's own accounting lets the put in and the kernel's ENOSPC stops it part-way, through the real
// store code. The share fails with ERR_HOLDER_FAILED naming the holder (cause ERR_DISK_FULL), the holder keeps no
// temp file and goes on proving and serving what it held, and the retry places the shard elsewhere. Needs root to
// mount the tmpfs: skipped, with the reason, where mount is not permitted.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { chunksOf, collect, startSwarm, type TestSwarm } from './swarm.ts'

const run = promisify(execFile)
const FULL = 6
const TMPFS_BYTES = 2 * 1024 * 1024

/** Mount a tmpfs of `bytes` at a new directory, or say why it cannot be. */
async function mountTmpfs (bytes: number): Promise<{ dir: string } | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'edgemirror-full-'))
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir])
    return { dir }
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    return { skip: `cannot mount a tmpfs here (${((err as Error).message.split('\n')[0])}): needs root` }
  }
}

const mounted = process.getuid?.() === 0 ? await mountTmpfs(TMPFS_BYTES) : { skip: 'needs root to mount a small tmpfs' }
const skip = 'skip' in mounted ? mounted.skip : false

describe('a holder whose disk fills up mid-write', { skip }, () => {
  const disk = 'dir' in mounted ? mounted.dir : ''
  let swarm: TestSwarm
  // The full holder runs on the cleanest grid, so placement ranks it first and every share tries it.
  before(async () => {
    swarm = await startSwarm(7, i => ({ carbon: i === FULL ? 0 : 500, ...(i === FULL ? { repo: join(disk, 'repo') } : {}) }))
  })
  after(async () => {
    await swarm?.stop()
    if (disk !== '') {
      await run('umount', [disk])
      await rm(disk, { recursive: true, force: true })
    }
  })

  it('fails the share with ERR_HOLDER_FAILED (cause ERR_DISK_FULL), leaves no temp file, keeps serving what it held, and the retry places the shard elsewhere', async () => {
    const full = swarm.nodes[FULL]
    const small = randomBytes(60_000)
    const held = await swarm.nodes[0].share(chunksOf(small), { size: small.byteLength, k: 3, m: 2 })
    assert.ok(held.shards.some(s => s.peer === full.peerId), 'the holder on the small disk got a shard of the small file')

    // 8 MiB in RS(3,2): shards of ~2.7 MiB, more than the whole tmpfs.
    const big = randomBytes(8 * 1024 * 1024)
    await assert.rejects(swarm.nodes[1].share(chunksOf(big), { size: big.byteLength, k: 3, m: 2 }), (err: any) => {
      assert.equal(err.code, 'ERR_HOLDER_FAILED')
      assert.equal(err.details.peer, full.peerId)
      assert.equal(err.details.cause, 'ERR_DISK_FULL')
      return true
    })
    assert.deepEqual(await readdir(join(disk, 'repo', 'store', 'tmp')), [], 'no temp file left on the full disk')

    // Right after: the holder proves and serves the shard it held, and answers its own fetch.
    const checked = await swarm.nodes[2].check(held.cid)
    assert.ok(checked.shards.some(s => s.peer === full.peerId && s.live), 'its shard of the small file is proved live')
    const read = await full.fetch(held.cid)
    assert.ok((await collect(read.body)).equals(small))
    await read.done

    // The retry leaves the failed holder out and the file reads back.
    const retried = await swarm.nodes[1].share(chunksOf(big), { size: big.byteLength, k: 3, m: 2 })
    assert.ok(!retried.shards.some(s => s.peer === full.peerId))
    const again = await swarm.nodes[3].fetch(retried.cid)
    assert.ok((await collect(again.body)).equals(big))
    await again.done
  })
})
