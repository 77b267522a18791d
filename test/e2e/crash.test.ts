// A receiving daemon killed with SIGKILL in the middle of a put: the share fails with a clear error, and after a
// restart on the same repo no torn shard is listed or served.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { open, readdir, rm, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CLI_PATH, runCli, spawnDaemon, type DaemonProcess } from '../harness/daemon-process.ts'
import { waitFor } from '../swarm/swarm.ts'

/** 128 MiB in RS(2,1): 64 MiB per shard, so a put lasts long enough to be caught half-written. */
const FILE_BYTES = 128 * 1024 * 1024

describe('SIGKILL during a put', () => {
  let root: string
  const daemons: DaemonProcess[] = []
  const args = (i: number): string[] => ['--listen', '/ip4/127.0.0.1/tcp/0', '--zone', `z${i}`, ...(i > 0 ? ['--bootstrap', daemons[0].addresses[0]] : [])]

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-crash-'))
    for (let i = 0; i < 3; i++) daemons.push(await spawnDaemon(join(root, `d${i}`), args(i)))
    await waitFor(async () => (await runCli(['status', '--repo', daemons[0].repo, '--json'])).json?.peers === 2, 60_000, 'three daemons to connect')
  })

  after(async () => {
    await Promise.all(daemons.map(async d => { await d.stop() }))
    await rm(root, { recursive: true, force: true })
  })

  it('leaves no torn shard behind, and the share reports the failure', async () => {
    const file = join(root, 'big.bin')
    const handle = await open(file, 'w')
    const chunk = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < FILE_BYTES / chunk.length; i++) {
      chunk.fill(i % 251)
      await handle.write(chunk)
    }
    await handle.close()

    const share = spawn(process.execPath, [CLI_PATH, 'share', file, '--repo', daemons[0].repo, '--k', '2', '--m', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    share.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const shareExit = once(share, 'exit')

    // Wait until daemon 1 is writing its shard (a temp file under store/tmp), then pull the plug.
    const victim = daemons[1]
    const tmp = join(victim.repo, 'store', 'tmp')
    await waitFor(async () => (await readdir(tmp).catch(() => [])).some(n => n.endsWith('.shard')), 60_000, 'daemon 1 to start receiving')
    await victim.kill()

    const [code] = await shareExit
    assert.equal(code, 1, 'the share must fail when a holder dies mid-put')
    assert.match(stderr, /ERR_/)

    daemons[1] = await spawnDaemon(victim.repo, [])
    const status = (await runCli(['status', '--repo', victim.repo, '--json'])).json
    assert.equal(status.shards, 0, 'no shard of the failed share is listed')
    assert.equal(status.bytes, 0)
    assert.deepEqual(await readdir(tmp), [], 'the torn temp file was removed on start')
    // Nobody else committed a shard of the failed share either: every holder commits only after the manifest arrives.
    for (const d of [daemons[0], daemons[2]]) assert.equal((await runCli(['status', '--repo', d.repo, '--json'])).json.shards, 0)
  })
})
