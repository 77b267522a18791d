// Mirror sets against a hostile peer (#17): a record signed by the wrong key, a replayed old record, a directory
// manifest that lies (about its size, or with a path escaping the followed directory) and a publisher the follower
// does not trust are all refused, and the follower's directory never shows anything but a complete, genuine version.
// Real nodes on loopback; the attacker is a node of the swarm speaking the mirror protocols as any peer can.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { Packr } from 'msgpackr'
import { EdgemirrorNode } from '../../node/edgemirror-node.ts'
import { loadOrCreateIdentity } from '../../node/identity.ts'
import { signVersionRecord, versionRecordFromView, type VersionRecord } from '../../node/mirror/version-record.ts'
import { announceRecords } from '../../node/mirror/record-protocol.ts'
import type { Dialer } from '../../node/transfer/shard-client.ts'
import { chunksOf, waitFor, withSwarm } from './swarm.ts'
import { treeHashes } from '../harness/tree-hashes.ts'

const DEADLINE_MS = 30_000

function dialFrom (node: EdgemirrorNode): Dialer {
  return async (peer, protocol, opts) => await node.host.dialProtocol(peerIdFromString(peer), protocol, { signal: opts?.signal })
}

async function seqShown (node: EdgemirrorNode, address: string): Promise<number | null> {
  return (await node.mirrors()).find(m => m.address === address && m.role === 'follower')?.seq ?? null
}

describe('mirror sets against a hostile peer', () => {
  it('refuses forged and replayed records and lying directory manifests; the followed tree stays genuine', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgemirror-mirror-hostile-'))
    try {
      await withSwarm(3, {}, async (swarm) => {
        const [publisher, follower, attacker] = swarm.nodes
        const attackerKey = await loadOrCreateIdentity(swarm.repos[2])
        const source = join(work, 'source')
        await mkdir(join(source, 'sub'), { recursive: true })
        await writeFile(join(source, 'index.html'), '<h1>v1</h1>\n')
        await writeFile(join(source, 'sub', 'data.bin'), Buffer.alloc(70_000, 7))

        const v1 = await publisher.publish({ dir: source, name: 'site', k: 2, m: 1 })
        assert.equal(v1.seq, 1)
        const address = v1.address
        await waitFor(async () => (await follower.versions(address).catch(() => [])).length === 1, DEADLINE_MS, 'the v1 record to reach the follower by push')
        const mirror = join(work, 'mirror')
        await follower.follow(address, mirror)
        await follower.mirrorSynced(address, 1)
        assert.deepEqual(await treeHashes(mirror), await treeHashes(source))

        // 1. A record for the publisher's set signed by another key: dropped, the set stays at version 1.
        const forged = await signVersionRecord(attackerKey, { publisher: publisher.peerId, name: 'site', seq: 2, root: v1.root, prev: v1.root, publishedAt: Date.now(), files: v1.files, bytes: v1.bytes })
        await announceRecords(dialFrom(attacker), follower.peerId, [forged])
        assert.deepEqual((await follower.versions(address)).map(r => r.seq), [1])

        // 2. Version 2 for real; then version 1's genuine record replayed: dropped, the follower stays at 2.
        await writeFile(join(source, 'index.html'), '<h1>v2</h1>\n')
        const v2 = await publisher.publish({ dir: source, name: 'site', k: 2, m: 1 })
        assert.equal(v2.seq, 2)
        await waitFor(async () => await seqShown(follower, address) === 2, DEADLINE_MS, 'the follower to show version 2')
        await announceRecords(dialFrom(attacker), follower.peerId, [versionRecordFromView(v1.record)])
        assert.deepEqual((await follower.versions(address)).map(r => r.seq), [1, 2])
        assert.equal(await seqShown(follower, address), 2)
        assert.deepEqual(await treeHashes(mirror), await treeHashes(source))

        // 3. The attacker's own sets, with directory manifests that lie. Crafted with raw MessagePack (the encoder
        // refuses to write them), stored in the swarm like any file, and announced with valid signatures.
        const packr = new Packr({ useRecords: false, moreTypes: false })
        const someCid = v1.record.root
        const lies: Array<{ name: string, root: Uint8Array, files: number, bytes: number }> = [
          { name: 'escape', root: packr.pack({ version: 1, files: 1, bytes: 5, entries: [{ path: '../escaped', cid: someCid, size: 5, mode: 0o644 }] }), files: 1, bytes: 5 },
          { name: 'absolute', root: packr.pack({ version: 1, files: 1, bytes: 5, entries: [{ path: '/tmp/absolute', cid: someCid, size: 5, mode: 0o644 }] }), files: 1, bytes: 5 },
          { name: 'not-a-tree', root: Buffer.from('just some bytes, not a directory manifest'), files: 0, bytes: 0 }
        ]
        for (const lie of lies) {
          const shared = await attacker.share(chunksOf(lie.root), { size: lie.root.byteLength, k: 2, m: 1 })
          const record: VersionRecord = await signVersionRecord(attackerKey, { publisher: attacker.peerId, name: lie.name, seq: 1, root: shared.cid, prev: null, publishedAt: Date.now(), files: lie.files, bytes: lie.bytes })
          await announceRecords(dialFrom(attacker), follower.peerId, [record])
          const target = join(work, `evil-${lie.name}`)
          await follower.follow(`${attacker.peerId}/${lie.name}`, target)
          await waitFor(async () => (await follower.mirrors()).find(m => m.address === `${attacker.peerId}/${lie.name}`)?.state === 'error', DEADLINE_MS, `the ${lie.name} sync to fail`)
          const view = (await follower.mirrors()).find(m => m.address === `${attacker.peerId}/${lie.name}`)
          assert.ok(['ERR_INVALID_PATH', 'ERR_MANIFEST_INVALID'].includes(view?.error?.code ?? ''), JSON.stringify(view))
          assert.equal(view?.seq, null, 'no version shown')
          await assert.rejects(readlink(target), { code: 'ENOENT' }, 'no directory switched in')
          await follower.unfollow(`${attacker.peerId}/${lie.name}`)
        }
        await assert.rejects(readFile(join(work, 'escaped')), { code: 'ENOENT' })
        await assert.rejects(readFile('/tmp/absolute'), { code: 'ENOENT' })

        // 4. A record whose signed size disagrees with its (valid) directory: the sync refuses it.
        const record = await signVersionRecord(attackerKey, { publisher: attacker.peerId, name: 'miscount', seq: 1, root: v1.root, prev: null, publishedAt: Date.now(), files: v1.files + 1, bytes: v1.bytes })
        await announceRecords(dialFrom(attacker), follower.peerId, [record])
        await follower.follow(`${attacker.peerId}/miscount`, join(work, 'miscount'))
        await waitFor(async () => (await follower.mirrors()).find(m => m.address === `${attacker.peerId}/miscount`)?.state === 'error', DEADLINE_MS, 'the miscounted sync to fail')
        assert.equal((await follower.mirrors()).find(m => m.address === `${attacker.peerId}/miscount`)?.error?.code, 'ERR_MANIFEST_INVALID')
      })
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  })

  it('--trust: records of other publishers are not kept, their sets not followed nor listed', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgemirror-mirror-trust-'))
    try {
      await withSwarm(3, {}, async (swarm) => {
        const [trusted, untrusted] = swarm.nodes
        const careful = await EdgemirrorNode.launch({
          repo: join(work, 'careful'), listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: 'off', gatewayMaxStreams: 8, cacheSize: 0, metrics: false, bootstrap: [], zone: 'careful', region: 'local', capacity: null, mdns: false, carbon: 100, trust: [trusted.peerId]
        })
        try {
          for (const node of swarm.nodes) await careful.connect(node.addresses[0])
          const source = join(work, 'source')
          await mkdir(source)
          await writeFile(join(source, 'a.txt'), 'a\n')
          const good = await trusted.publish({ dir: source, name: 'good', k: 2, m: 1 })
          const bad = await untrusted.publish({ dir: source, name: 'bad', k: 2, m: 1 })
          await waitFor(async () => (await careful.versions(good.address).catch(() => [])).length === 1, DEADLINE_MS, 'the trusted record')
          await assert.rejects(careful.versions(bad.address), { code: 'ERR_NOT_TRUSTED' })
          await assert.rejects(careful.follow(bad.address, join(work, 'bad')), { code: 'ERR_NOT_TRUSTED' })
          await assert.rejects(careful.listTree(bad.address), { code: 'ERR_NOT_TRUSTED' })
          await careful.follow(good.address, join(work, 'good'))
          await careful.mirrorSynced(good.address, 1)
          assert.equal(await readFile(join(work, 'good', 'a.txt'), 'utf8'), 'a\n')
        } finally {
          await careful.stop()
        }
      })
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  })
})
