// End to end: the `edgemirror` CLI against real daemon processes on 127.0.0.1, with real files in a temp dir.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli, spawnDaemon, type DaemonProcess } from '../harness/daemon-process.ts'
import { waitFor } from '../swarm/swarm.ts'

const VERBS = ['daemon', 'id', 'share', 'fetch', 'cat', 'status', 'peers', 'ls', 'check', 'repair', 'rm', 'publish', 'follow', 'unfollow', 'mirrors', 'versions', 'keygen']

describe('edgemirror CLI without a daemon', () => {
  it('prints --help for the program and every verb, exit 0', async () => {
    const top = await runCli(['--help'])
    assert.equal(top.code, 0)
    for (const verb of VERBS) assert.match(top.stdout, new RegExp(`\\b${verb}\\b`))
    for (const verb of VERBS) {
      const r = await runCli([verb, '--help'])
      assert.equal(r.code, 0, `${verb} --help: ${r.stderr}`)
      assert.match(r.stdout, /--json/, `${verb} --help lists --json`)
    }
  })

  it('exits 2 on usage errors', async () => {
    assert.equal((await runCli(['no-such-verb'])).code, 2)
    assert.equal((await runCli(['status', '--no-such-flag'])).code, 2)
    const badK = await runCli(['share', 'x', '--k', 'four'])
    assert.equal(badK.code, 2)
    assert.match(badK.stderr, /ERR_USAGE/)
    assert.equal((await runCli(['share', 'x', '--replicas', '3', '--k', '2'])).code, 2)
  })

  it('says no daemon is running, with its code, exit 1', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'edgemirror-nodaemon-'))
    try {
      const r = await runCli(['status', '--repo', repo, '--json'])
      assert.equal(r.code, 1)
      assert.equal(JSON.parse(r.stderr).error.code, 'ERR_DAEMON_NOT_RUNNING')
    } finally {
      await rm(repo, { recursive: true, force: true })
    }
  })
})

describe('edgemirror CLI against a swarm of daemon processes', () => {
  let root: string
  const daemons: DaemonProcess[] = []

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-e2e-'))
    for (let i = 0; i < 4; i++) {
      const args = ['--listen', '/ip4/127.0.0.1/tcp/0', '--zone', `z${i}`, '--region', i < 2 ? 'north' : 'south', '--carbon', String(50 * (i + 1))]
      if (i > 0) args.push('--bootstrap', daemons[0].addresses[0])
      daemons.push(await spawnDaemon(join(root, `d${i}`), args))
    }
    await waitFor(async () => {
      for (const d of daemons) if ((await runCli(['status', '--repo', d.repo, '--json'])).json?.peers !== daemons.length - 1) return false
      return true
    }, 60_000, 'a full mesh of 4 daemons')
  })

  after(async () => {
    await Promise.all(daemons.map(async d => { await d.stop() }))
    await rm(root, { recursive: true, force: true })
  })

  it('id, status and peers print their JSON contracts', async () => {
    const id = (await runCli(['id', '--repo', daemons[0].repo, '--json'])).json
    assert.equal(id.peerId, daemons[0].peerId)
    assert.ok(id.addresses.some((a: string) => a.startsWith('/ip4/127.0.0.1/tcp/') && a.endsWith(`/p2p/${id.peerId}`)))
    const status = (await runCli(['status', '--repo', daemons[1].repo, '--json'])).json
    assert.equal(status.peerId, daemons[1].peerId)
    assert.equal(status.peers, 3)
    assert.equal(typeof status.shards, 'number')
    assert.equal(typeof status.bytes, 'number')
    const peers = (await runCli(['peers', '--repo', daemons[0].repo, '--json'])).json
    assert.equal(peers.length, 3)
    for (const p of peers) {
      assert.ok(['z1', 'z2', 'z3'].includes(p.zone))
      assert.equal(typeof p.rttMs, 'number')
      assert.equal(p.carbon, 50 * (Number(p.zone.slice(1)) + 1))
    }
  })

  it('shares RS(2,1) and 3 replicas and fetches them byte-identical on another daemon; ls shows a sanitized name', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17)
    const file = join(root, '..weird name')
    await writeFile(file, data)
    for (const scheme of [['--k', '2', '--m', '1'], ['--replicas', '3']]) {
      const shared = await runCli(['share', file, '--repo', daemons[0].repo, '--json', ...scheme])
      assert.equal(shared.code, 0, shared.stderr)
      const { cid, shards, k, m, size } = shared.json
      assert.equal(size, data.length)
      assert.equal(shards.length, k + m)
      assert.equal(new Set(shards.map((s: { peer: string }) => s.peer)).size, k + m, 'one shard per peer')
      const out = join(root, `out-${k}`)
      const fetched = await runCli(['fetch', cid, '-o', out, '--repo', daemons[3].repo, '--json'])
      assert.equal(fetched.code, 0, fetched.stderr)
      assert.deepEqual(await readFile(out), data)
      // Every block was verified; the whole-file SHA-256 is the manifest's claim, not recomputed without --sha256.
      const digest = createHash('sha256').update(data).digest('hex')
      assert.deepEqual([fetched.json.verified, fetched.json.manifestSha256, 'sha256' in fetched.json], ['blocks', digest, false])
      const hashed = await runCli(['fetch', cid, '-o', `${out}-sha256`, '--sha256', '--repo', daemons[2].repo, '--json'])
      assert.equal(hashed.code, 0, hashed.stderr)
      assert.deepEqual(await readFile(`${out}-sha256`), data)
      assert.deepEqual([hashed.json.verified, hashed.json.manifestSha256, hashed.json.sha256], ['blocks+sha256', digest, digest])
      // The sharer's ls names the file (its share record); the manifest, which every holder has, carries no name.
      const ls = (await runCli(['ls', '--repo', daemons[0].repo, '--json'])).json
      assert.ok(ls.some((f: { cid: string, name: string, shared: boolean }) => f.cid === cid && f.name === '..weird name' && f.shared))
      const lines = (await runCli(['ls', '--repo', daemons[0].repo])).stdout.split('\n')
      assert.match(lines.find(l => l.startsWith(cid)) ?? '', /\.\.weird name .*\d{4}-\d\d-\d\d \d\d:\d\d\s+shared$/)
    }
  })

  it('shares 8 MiB with --replicas 2: whole 1 MiB blocks through the encode worker and put streams to remote holders', async () => {
    // A holder's put reader once used the request's 1 MiB frame limit as its high-water mark, paused its stream and
    // never resumed it for the next block: this share hung 30 s and failed ERR_HOLDER_FAILED (ERR_TIMEOUT), though
    // every smaller test passed.
    const data = randomBytes(8 * 1024 * 1024)
    const file = join(root, 'eight-mib')
    await writeFile(file, data)
    const shared = await runCli(['share', file, '--repo', daemons[0].repo, '--json', '--replicas', '2'])
    assert.equal(shared.code, 0, shared.stderr)
    const out = join(root, 'eight-mib-out')
    const fetched = await runCli(['fetch', shared.json.cid, '-o', out, '--repo', daemons[3].repo, '--json'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.deepEqual(await readFile(out), data)
  })

  it('refuses a share with too many shards for the swarm, exit 1 with ERR_NOT_ENOUGH_PEERS', async () => {
    const file = join(root, 'small')
    await writeFile(file, randomBytes(1000))
    const r = await runCli(['share', file, '--repo', daemons[0].repo, '--k', '4', '--m', '2', '--json'])
    assert.equal(r.code, 1)
    assert.equal(JSON.parse(r.stderr).error.code, 'ERR_NOT_ENOUGH_PEERS')
  })

  it('rm: refused for a daemon that did not share the file (ERR_NOT_OWNER, exit 1); the sharer\'s rm deletes it after the grace', async () => {
    const file = join(root, 'to-delete')
    await writeFile(file, randomBytes(50_000))
    const shared = await runCli(['share', file, '--repo', daemons[0].repo, '--json', '--k', '2', '--m', '1'])
    assert.equal(shared.code, 0, shared.stderr)
    const { cid } = shared.json
    const refused = await runCli(['rm', cid, '--repo', daemons[1].repo, '--json'])
    assert.equal(refused.code, 1)
    assert.equal(JSON.parse(refused.stderr).error.code, 'ERR_NOT_OWNER')
    const unknown = await runCli(['rm', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--repo', daemons[0].repo])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /ERR_NOT_FOUND/)
    const removed = await runCli(['rm', cid, '--repo', daemons[0].repo])
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stdout, /deleted; holders remove its shards after 10m/)
    const check = await runCli(['check', cid, '--repo', daemons[0].repo])
    assert.match(check.stdout, /deleted by .*: its shards are removed at/)
    assert.equal((await runCli(['status', '--repo', daemons[0].repo, '--json'])).json.deletes.deletesPending, 1)
  })

  it('fetch of an unknown CID fails with ERR_NOT_FOUND and leaves no file behind', async () => {
    const unknown = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const out = join(root, 'never')
    const r = await runCli(['fetch', unknown, '-o', out, '--repo', daemons[1].repo, '--json'])
    assert.equal(r.code, 1)
    assert.equal(JSON.parse(r.stderr).error.code, 'ERR_NOT_FOUND')
    assert.equal(existsSync(out), false)
    assert.deepEqual((await readdir(root)).filter(n => n.startsWith('.never')), [])
  })

  it('fetch -o refuses a symlink, a device, a directory and (without --force) an existing file (ERR_USAGE, exit 2, target untouched); -o - writes to stdout', async () => {
    const data = Buffer.from(randomBytes(50_000).toString('hex')) // text, so stdout compares byte for byte
    const file = join(root, 'to-stdout.txt')
    await writeFile(file, data)
    const shared = await runCli(['share', file, '--repo', daemons[0].repo, '--k', '2', '--m', '1', '--json'])
    assert.equal(shared.code, 0, shared.stderr)
    const { cid } = shared.json
    const kept = join(root, 'kept.txt')
    await writeFile(kept, 'keep me')
    const link = join(root, 'link-to-kept')
    await symlink(kept, link)
    const dir = join(root, 'a-dir')
    await mkdir(dir)
    for (const target of [link, '/dev/null', dir, join(root, 'no-such-dir', 'out')]) {
      const r = await runCli(['fetch', cid, '-o', target, '--repo', daemons[1].repo, '--json'])
      assert.equal(r.code, 2, `${target}: ${r.stderr}`)
      assert.equal(JSON.parse(r.stderr).error.code, 'ERR_USAGE')
    }
    assert.ok((await lstat(link)).isSymbolicLink())
    assert.equal(await readFile(kept, 'utf8'), 'keep me')
    assert.ok((await stat('/dev/null')).isCharacterDevice())
    assert.ok((await lstat(dir)).isDirectory())
    // Refused before any fetching: an unknown CID still gets ERR_USAGE, not ERR_NOT_FOUND.
    const unknown = await runCli(['fetch', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '-o', '/dev/null', '--repo', daemons[1].repo, '--json'])
    assert.equal(unknown.code, 2)
    const out = await runCli(['fetch', cid, '-o', '-', '--repo', daemons[1].repo])
    assert.equal(out.code, 0, out.stderr)
    assert.equal(out.stdout, data.toString())
    // An existing regular file is replaced only with --force.
    const refused = await runCli(['fetch', cid, '-o', kept, '--repo', daemons[1].repo, '--json'])
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(JSON.parse(refused.stderr).error.message, /exists: add --force to replace it/)
    assert.equal(await readFile(kept, 'utf8'), 'keep me')
    const r = await runCli(['fetch', cid, '-o', kept, '--force', '--repo', daemons[1].repo, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(await readFile(kept), data)
  })

  it('answers 401 to a control request without the right token', async () => {
    const endpoint = JSON.parse(await readFile(join(daemons[0].repo, 'api.json'), 'utf8'))
    for (const authorization of [undefined, 'Bearer 0000', `Bearer ${endpoint.token as string}x`]) {
      const { status, body } = await httpGet(`${endpoint.url as string}/v1/status`, authorization)
      assert.equal(status, 401)
      assert.equal(JSON.parse(body).error.code, 'ERR_UNAUTHORIZED')
    }
    assert.equal((await httpGet(`${endpoint.url as string}/v1/status`, `Bearer ${endpoint.token as string}`)).status, 200)
  })
})

async function httpGet (url: string, authorization?: string): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers: authorization !== undefined ? { authorization } : {} }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('edgemirror daemon --capacity', () => {
  it('a saved capacity is unset by --capacity unlimited, and stays unset on the next start', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'edgemirror-capacity-'))
    const capacityOf = async (args: string[]): Promise<unknown> => {
      const d = await spawnDaemon(repo, ['--listen', '/ip4/127.0.0.1/tcp/0', ...args])
      try {
        return (await runCli(['status', '--repo', repo, '--json'])).json.capacity
      } finally {
        await d.stop()
      }
    }
    try {
      assert.equal(await capacityOf(['--capacity', '1MB']), 1_000_000)
      assert.equal(await capacityOf([]), 1_000_000, 'saved')
      assert.equal(await capacityOf(['--capacity', 'unlimited']), null)
      assert.equal(await capacityOf([]), null, 'unset is saved too')
      const bad = await runCli(['daemon', '--repo', repo, '--capacity', 'lots'])
      assert.equal(bad.code, 2)
    } finally {
      await rm(repo, { recursive: true, force: true })
    }
  })
})
