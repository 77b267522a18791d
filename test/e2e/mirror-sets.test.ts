// Mirror sets with real daemons and the real CLI (#17): a publisher publishes a tree, three followers converge to the
// exact tree, follow a change (changed, added and removed files) fetching only what changed, an offline follower
// catches up when it starts, --keep reclaims the space of expired files on every holder and repair does not bring
// them back, the gateway serves /m/ from a follower's copy, and a follower SIGKILLed mid-sync never shows a half tree
// and finishes when it restarts.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DaemonSwarm, FAST_REPAIR_FLAGS } from '../harness/daemon-swarm.ts'
import { cleanUpOnInterrupt } from '../harness/daemon-process.ts'
import { waitFor } from '../harness/poll.ts'
import { treeHashes } from '../harness/tree-hashes.ts'

const DEADLINE_MS = 60_000

async function put (root: string, path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), data)
}

function ok (result: { code: number, stdout: string, stderr: string }, what: string): void {
  assert.equal(result.code, 0, `${what} failed: ${result.stderr}${result.stdout}`)
}

describe('mirror sets on real daemons', () => {
  let root: string
  let release: () => void
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-mirrors-'))
    release = cleanUpOnInterrupt(root)
  })
  after(async () => {
    release()
    await rm(root, { recursive: true, force: true })
  })

  it('publish, follow on 3 nodes, re-publish a change, catch up after being offline, --keep reclaims on every holder', async () => {
    const swarm = await DaemonSwarm.start({ root: join(root, 'a'), count: 5, flags: () => [...FAST_REPAIR_FLAGS, '--delete-grace', '1s'] })
    try {
      const source = join(root, 'source')
      await put(source, 'index.html', '<h1>release 1</h1>\n')
      await put(source, 'dists/stable/Release', 'Suite: stable\n')
      await put(source, 'pool/main/a/app_1.0.deb', randomBytes(300_000))
      await put(source, 'pool/main/b/lib_2.0.deb', randomBytes(150_000))
      await put(source, 'empty.txt', '')
      await put(source, 'odd names/ünïcödé & spaces.txt', 'odd\n')
      await put(source, 'unchanged.bin', randomBytes(200_000))
      await symlink('/etc/passwd', join(source, 'passwd-link'))
      await symlink(join(source, 'pool'), join(source, 'pool-link'))
      const sourceTree = async (): Promise<Map<string, string>> => {
        const all = await treeHashes(source)
        return new Map([...all].filter(([p]) => !p.startsWith('passwd-link') && !p.startsWith('pool-link')))
      }

      const v1 = await swarm.cli(0, ['publish', source, '--name', 'debian', '--keep', '1', '--k', '2', '--m', '1', '--json'])
      ok(v1, 'publish v1')
      assert.equal(v1.json.seq, 1)
      assert.equal(v1.json.files, 7)
      assert.deepEqual(v1.json.skipped.map((s: { path: string }) => s.path).sort(), ['passwd-link', 'pool-link'])
      const address: string = v1.json.address
      assert.equal(address, `${swarm.daemons[0].peerId}/debian`)

      const followers = [1, 2, 3]
      const mirrorOf = (i: number): string => join(root, `mirror-${i}`)
      for (const i of followers) ok(await swarm.cli(i, ['follow', address, mirrorOf(i), '--json']), `follow on ${i}`)
      const shows = async (i: number, seq: number): Promise<boolean> => (await clientOf(swarm, i).mirrors()).some((m: any) => m.address === address && m.seq === seq)
      for (const i of followers) await waitFor(async () => await shows(i, 1), DEADLINE_MS, `follower ${i} to show version 1`)
      for (const i of followers) assert.deepEqual(await treeHashes(mirrorOf(i)), await sourceTree(), `follower ${i}'s tree`)

      // Follower 3 goes away; the publisher changes two files, adds one, removes one, and publishes version 2.
      await swarm.kill(3)
      const oldApp = (await swarm.cli(0, ['ls', address, '--json'])).json.entries.find((e: any) => e.path === 'pool/main/a/app_1.0.deb')
      await put(source, 'index.html', '<h1>release 2</h1>\n')
      await put(source, 'pool/main/a/app_1.0.deb', randomBytes(310_000))
      await put(source, 'pool/main/c/new_3.0.deb', randomBytes(120_000))
      await unlink(join(source, 'pool/main/b/lib_2.0.deb'))
      const v2 = await swarm.cli(0, ['publish', source, '--name', 'debian', '--k', '2', '--m', '1', '--json'])
      ok(v2, 'publish v2')
      assert.equal(v2.json.seq, 2)
      assert.equal(v2.json.newBytes, '<h1>release 2</h1>\n'.length + 310_000 + 120_000, 'only changed and added files were shared')
      assert.deepEqual(v2.json.expired.versions, [1], '--keep 1 (kept from version 1) expires version 1')

      for (const i of [1, 2]) await waitFor(async () => await shows(i, 2), DEADLINE_MS, `follower ${i} to show version 2`)
      for (const i of [1, 2]) assert.deepEqual(await treeHashes(mirrorOf(i)), await sourceTree(), `follower ${i}'s tree at version 2`)
      // Unchanged files were not fetched again: the same inode in both versions.
      const versions = `${mirrorOf(1)}.versions`
      assert.equal((await stat(join(versions, '1', 'unchanged.bin'))).ino, (await stat(join(versions, '2', 'unchanged.bin'))).ino)
      assert.equal(await readlink(mirrorOf(1)), 'mirror-1.versions/2')

      // The offline follower catches up on start.
      await swarm.restart(3)
      await waitFor(async () => await shows(3, 2), DEADLINE_MS, 'the restarted follower to catch up to version 2')
      assert.deepEqual(await treeHashes(mirrorOf(3)), await sourceTree())

      // Reading: versions, ls, fetch by path (from the follower's own copy; from the swarm elsewhere), the gateway.
      const listed = await swarm.cli(4, ['versions', address, '--json'])
      ok(listed, 'versions')
      assert.deepEqual(listed.json.map((r: any) => r.seq), [1, 2])
      const out = join(root, 'fetched-index.html')
      const local = await swarm.cli(1, ['fetch', `${address}/index.html`, '-o', out, '--json'])
      ok(local, 'fetch by path on a follower')
      assert.equal(local.json.local, true)
      assert.equal(local.json.seq, 2)
      assert.equal(await readFile(out, 'utf8'), '<h1>release 2</h1>\n')
      const remote = await swarm.cli(4, ['fetch', `${address}@2/pool/main/c/new_3.0.deb`, '-o', join(root, 'new.deb'), '--json'])
      ok(remote, 'fetch by path elsewhere')
      assert.equal(remote.json.local, false)
      assert.equal(remote.json.publisher, swarm.daemons[0].peerId)
      const gateway = swarm.daemons[1].gateway as string
      const page = await fetch(`${gateway}/m/${address}/odd%20names/${encodeURIComponent('ünïcödé & spaces.txt')}`)
      assert.equal(page.status, 200)
      assert.equal(await page.text(), 'odd\n')
      const listing = await (await fetch(`${gateway}/m/${address}/pool/main/?format=json`)).json() as any
      assert.deepEqual(listing.entries.map((e: any) => e.name).sort(), ['a', 'c'])

      // --keep 1: the replaced app and the removed lib are deleted on every holder after the grace, and stay gone
      // through several repair rounds; the kept files are all still fetchable.
      await waitFor(async () => (await swarm.storedShards(oldApp.cid)).length === 0, DEADLINE_MS, 'the expired file\'s shards to be removed on every holder')
      const reclaimed = await Promise.all(swarm.up().map(async i => (await swarm.status(i)).deletes.bytesReclaimed as number))
      assert.ok(reclaimed.some(b => b > 0), JSON.stringify(reclaimed))
      // Repair rounds run every heartbeat (500 ms): ten of them, and still nothing comes back.
      await new Promise(resolve => setTimeout(resolve, 5_000))
      assert.equal((await swarm.storedShards(oldApp.cid)).length, 0, 'repair did not resurrect the expired file')
      const check = await swarm.cli(4, ['fetch', `${address}/unchanged.bin`, '-o', join(root, 'unchanged.bin'), '--json'])
      ok(check, 'a kept file is still there')
    } finally {
      await swarm.stop()
    }
  })

  it('a follower SIGKILLed mid-sync shows the old version, whole, and finishes the new one when it restarts', async () => {
    const swarm = await DaemonSwarm.start({ root: join(root, 'b'), count: 4, flags: () => FAST_REPAIR_FLAGS })
    try {
      const source = join(root, 'big')
      await put(source, 'README', 'version 1\n')
      const v1 = await swarm.cli(0, ['publish', source, '--name', 'big', '--k', '2', '--m', '1', '--json'])
      ok(v1, 'publish v1')
      const address: string = v1.json.address
      const mirror = join(root, 'big-mirror')
      ok(await swarm.cli(1, ['follow', address, mirror, '--json']), 'follow')
      await waitFor(async () => (await clientOf(swarm, 1).mirrors()).some((m: any) => m.address === address && m.seq === 1), DEADLINE_MS, 'version 1')
      const v1Tree = await treeHashes(mirror)

      await put(source, 'README', 'version 2\n')
      for (let f = 0; f < 8; f++) await put(source, `blobs/blob-${f}`, randomBytes(6 * 1024 * 1024))
      ok(await swarm.cli(0, ['publish', source, '--name', 'big', '--k', '2', '--m', '1', '--json']), 'publish v2')
      // Killed once version 2 is under way (a file of it complete in the partial tree), before it is switched in.
      const partial = `${mirror}.versions/2.partial`
      await waitFor(async () => (await readdir(join(partial, 'blobs')).catch(() => [] as string[])).some(n => !n.startsWith('.')), DEADLINE_MS, 'the sync of version 2 to be under way', 20)
      await swarm.kill(1)
      const shown = await readlink(mirror)
      assert.ok(shown.endsWith('.versions/1') || shown.endsWith('.versions/2'), shown)
      if (shown.endsWith('/1')) assert.deepEqual(await treeHashes(mirror), v1Tree, 'the old version, whole')
      await swarm.restart(1)
      await waitFor(async () => (await clientOf(swarm, 1).mirrors()).some((m: any) => m.address === address && m.seq === 2), DEADLINE_MS, 'version 2 after the restart')
      assert.deepEqual(await treeHashes(mirror), await treeHashes(source))
    } finally {
      await swarm.stop()
    }
  })
})

function clientOf (swarm: DaemonSwarm, i: number): { mirrors: () => Promise<any[]> } {
  return {
    mirrors: async () => {
      const { ApiClient } = await import('../../node/api/client.ts')
      return await (await ApiClient.connect(swarm.repos[i])).mirrors()
    }
  }
}
