// The README's multi-machine recipe, run as written on 3 daemon processes on 127.0.0.1 (only --listen differs: three
// daemons on one host cannot all take port 4050), then the safe-CLI details a user meets on the way: fetch never
// replaces a file without --force, `cat` and `fetch -o -` write only the bytes to stdout, `share -` reads stdin.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli, spawnDaemon, type DaemonProcess } from '../harness/daemon-process.ts'
import { waitFor } from '../harness/poll.ts'

/** The README's daemon flags. */
const README_FLAGS = ['--region', 'eu-west', '--carbon-country', 'FR']
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

describe('the README recipe on 3 loopback daemons', () => {
  let root: string
  const daemons: DaemonProcess[] = []
  const cli = async (d: number, args: string[], input?: string): ReturnType<typeof runCli> => await runCli([...args, '--repo', daemons[d].repo], { input })

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-readme-'))
    daemons.push(await spawnDaemon(join(root, 'machine-1'), [...README_FLAGS, ...LOOPBACK]))
    // `edgemirror id` on machine 1 gives the address the others bootstrap from.
    const id = await cli(0, ['id', '--json'])
    assert.equal(id.code, 0, id.stderr)
    const address = id.json.addresses.find((a: string) => a.startsWith('/ip4/127.0.0.1/'))
    for (const machine of [2, 3]) daemons.push(await spawnDaemon(join(root, `machine-${machine}`), [...README_FLAGS, '--bootstrap', address, ...LOOPBACK]))
    await waitFor(async () => {
      for (let d = 0; d < 3; d++) if ((await cli(d, ['status', '--json'])).json?.peers !== 2) return false
      return true
    }, 60_000, 'the 3 daemons to see each other')
  })

  after(async () => {
    await Promise.all(daemons.map(async d => { await d.stop() }))
    await rm(root, { recursive: true, force: true })
  })

  it('peers, share --explain, share --replicas, fetch, check, ls, status and repair all succeed', async () => {
    const photos = join(root, 'photos.tar')
    const data = randomBytes(2 * 1024 * 1024 + 5)
    await writeFile(photos, data)
    const notes = join(root, 'notes.txt')
    await writeFile(notes, 'remember the milk\n')

    const peers = await cli(0, ['peers'])
    assert.equal(peers.code, 0, peers.stderr)
    assert.equal(peers.stdout.trim().split('\n').length, 3, 'a header and two peers')
    const shared = await cli(0, ['share', photos, '--k', '2', '--m', '1', '--explain'])
    assert.equal(shared.code, 0, shared.stderr)
    const cid = /^cid (\S+)$/m.exec(shared.stdout)?.[1] as string
    assert.ok(cid !== undefined, shared.stdout)
    // No daemon declared a zone: each is its own failure domain, and the explanation says so.
    assert.match(shared.stdout, /3 peer\(s\) declared no --zone: each is a failure domain of its own/)
    assert.match(shared.stdout, /shared 2 MiB as RS\(2,1\)/)
    const replicated = await cli(1, ['share', notes, '--replicas', '3'])
    assert.equal(replicated.code, 0, replicated.stderr)

    const out = join(root, 'photos-back.tar')
    const fetched = await cli(2, ['fetch', cid, '-o', out])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.deepEqual(await readFile(out), data)
    for (const args of [['check', cid], ['ls'], ['status'], ['repair', cid]]) {
      const r = await cli(1, args)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    }
    assert.match((await cli(0, ['ls'])).stdout, new RegExp(cid))
  })

  it('the old recipe (RS(4,2) on 3 peers) says what would work, and --allow-fewer-peers says what it cost', async () => {
    const file = join(root, 'six-shards')
    await writeFile(file, randomBytes(100_000))
    const refused = await cli(0, ['share', file, '--k', '4', '--m', '2'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /ERR_NOT_ENOUGH_PEERS: not enough peers: 3 available, 6 needed \(with 3 peers try --k 2 --m 1 \(survives 1 lost peer\(s\)\), or --allow-fewer-peers/)
    const doubled = await cli(0, ['share', file, '--k', '4', '--m', '2', '--allow-fewer-peers', '--explain'])
    assert.equal(doubled.code, 0, doubled.stderr)
    assert.match(doubled.stdout, /warning: fewer peers than shards: some peers hold several shards of this file/)
    assert.match(doubled.stdout, /constraints: <=2 per peer/)
    assert.match(doubled.stdout, /fewer peers than shards: \S+ holds shards \d, \d; /)
    const cid = /^cid (\S+)$/m.exec(doubled.stdout)?.[1] as string
    const check = await cli(1, ['check', cid])
    assert.equal(check.code, 0, check.stderr)
    assert.match(check.stdout, /6\/6 shards live, need 4: healthy; survives the loss of 1 more holder\(s\) \(some peers hold several shards\)/)
  })

  it('fetch refuses to replace a file unless --force; cat and fetch -o - write only the bytes to stdout; share - reads stdin', async () => {
    const text = randomBytes(300_000).toString('hex') // text, so stdout compares as a string
    const fromStdin = await cli(0, ['share', '-', '--k', '2', '--m', '1', '--json'], text)
    assert.equal(fromStdin.code, 0, fromStdin.stderr)
    const { cid, size } = fromStdin.json
    assert.equal(size, text.length)
    assert.deepEqual((await readdir(daemons[0].repo)).filter(n => n.startsWith('.stdin-')), [], 'the spooled stdin is removed')

    for (const args of [['cat', cid], ['fetch', cid, '-o', '-'], ['cat', cid, '--json']]) {
      const r = await cli(1, args)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, text, `${args.join(' ')}: the bytes and nothing else on stdout`)
    }
    assert.equal(JSON.parse((await cli(1, ['cat', cid, '--json'])).stderr).size, text.length, 'with --json the summary is JSON on stderr')

    const out = join(root, 'mine.txt')
    await writeFile(out, 'mine')
    const refused = await cli(2, ['fetch', cid, '-o', out])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /ERR_USAGE: -o .*mine\.txt exists: add --force to replace it/)
    assert.equal(await readFile(out, 'utf8'), 'mine')
    const forced = await cli(2, ['fetch', cid, '-o', out, '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    assert.equal(await readFile(out, 'utf8'), text)
  })
})
