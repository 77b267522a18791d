// `npm start`: the embedded default. A 6-peer swarm of real daemon processes on loopback (temp repos), a generated
// file shared with RS(4,2), two holders killed, the file fetched back byte-identical, two fresh peers joining and the
// swarm rebuilding the lost shards on them by itself, a range of the file read through a survivor's HTTP gateway with a
// plain HTTP client, and everything cleaned up.
// Every step runs the real `edgemirror` CLI, and the demo prints each command so it doubles as a tour.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanUpOnInterrupt, runCli, spawnDaemon, type CliResult, type DaemonProcess } from './daemon-process.ts'
import { sha256File } from '../../bench/measure.ts'

/** Six peers in three regions with the yearly carbon intensity of their country (embedded Ember dataset). */
const PEERS = [
  { region: 'eu-north', zone: 'oslo-1', country: 'NO' },
  { region: 'eu-north', zone: 'oslo-2', country: 'NO' },
  { region: 'eu-west', zone: 'paris-1', country: 'FR' },
  { region: 'eu-west', zone: 'frankfurt-1', country: 'DE' },
  { region: 'us-east', zone: 'virginia-1', country: 'US' },
  { region: 'us-east', zone: 'ohio-1', country: 'US' }
]
/** Two machines that join later, to take over the lost shards. */
const REPLACEMENTS = [
  { region: 'eu-west', zone: 'paris-2', country: 'FR' },
  { region: 'eu-north', zone: 'stockholm-1', country: 'SE' }
]
/** Demo-speed failure detection (defaults are 5 s heartbeats, dead after 60 s, then 60 s grace). */
const FAST_REPAIR = ['--heartbeat', '500ms', '--dead-after', '3s', '--repair-grace', '0s', '--repair-rate', '200MB/s']
const FILE_BYTES = 24 * 1024 * 1024
const K = 4
const M = 2

function say (text: string): void {
  process.stdout.write(`${text}\n`)
}

async function cli (args: string[]): Promise<CliResult> {
  say(`  $ edgemirror ${args.map(a => a.includes(' ') ? JSON.stringify(a) : a).join(' ')}`)
  const result = await runCli(args)
  if (result.code !== 0) throw new Error(`edgemirror ${args[0]} failed (exit ${result.code}): ${result.stderr.trim()}`)
  return result
}

async function waitForMesh (daemons: DaemonProcess[], deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs
  for (const d of daemons) {
    while ((await runCli(['status', '--repo', d.repo, '--json'])).json?.peers < daemons.length - 1) {
      if (Date.now() > deadline) throw new Error('the peers did not find each other in time')
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }
}

async function main (): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-demo-'))
  const daemons: DaemonProcess[] = []
  // Ctrl-C: the daemons would stop by themselves (--exit-with-parent), but their repos would stay behind.
  const stopListening = cleanUpOnInterrupt(root)
  try {
    say(`edgemirror demo: ${PEERS.length} peers on 127.0.0.1, repos under ${root}\n`)
    say('1. start the daemons (each joins the swarm through the first one)')
    const startPeer = async (p: { region: string, zone: string, country: string }): Promise<void> => {
      const i = daemons.length
      const args = ['--listen', '/ip4/127.0.0.1/tcp/0', '--region', p.region, '--zone', p.zone, '--carbon-country', p.country, ...FAST_REPAIR]
      if (i > 0) args.push('--bootstrap', daemons[0].addresses[0])
      const d = await spawnDaemon(join(root, `peer-${i}`), args)
      daemons.push(d)
      say(`   peer ${i} ${d.peerId.slice(-8)}  ${p.region}/${p.zone}  carbon ${p.country}`)
    }
    for (const p of PEERS) await startPeer(p)
    await waitForMesh(daemons, 60_000)
    say('   every peer sees the other five\n')

    say(`2. share a ${FILE_BYTES / 1048576} MiB file as RS(${K},${M}): any ${K} of ${K + M} shards rebuild it`)
    const file = join(root, 'demo.bin')
    await writeFile(file, randomBytes(FILE_BYTES))
    const original = await sha256File(file)
    const shared = (await cli(['share', file, '--repo', daemons[0].repo, '--k', String(K), '--m', String(M), '--json'])).json
    say(`   cid ${shared.cid}`)
    const byPeer = new Map(daemons.map((d, i) => [d.peerId, i]))
    for (const s of shared.shards) say(`   shard ${s.index} -> peer ${byPeer.get(s.peer)} (${s.region}/${s.zone})`)
    for (const line of shared.explain) say(`   why: ${line}`)
    say('')

    const reader = daemons.length - 1
    const victims = shared.shards.map((s: { peer: string }) => byPeer.get(s.peer) as number).filter((i: number) => i !== reader && i !== 0).slice(0, M)
    say(`3. kill ${M} peers holding shards (SIGKILL, as if the machines vanished): peers ${victims.join(' and ')}`)
    for (const i of victims) await daemons[i].kill()
    const check = (await runCli(['check', shared.cid, '--repo', daemons[reader].repo, '--json'])).json
    say(`   check from peer ${reader}: ${check.live}/${K + M} shards live, ${check.live >= K ? 'still recoverable' : 'lost'}\n`)

    say(`4. fetch it back on peer ${reader}`)
    const out = join(root, 'fetched.bin')
    const fetched = (await cli(['fetch', shared.cid, '-o', out, '--repo', daemons[reader].repo, '--json'])).json
    const copy = await sha256File(out)
    say(`   rebuilt data shards: ${fetched.rebuilt.length > 0 ? fetched.rebuilt.join(', ') : 'none'}; unavailable: ${fetched.missing.join(', ') || 'none'}`)
    say(`   sha256 original ${original}`)
    say(`   sha256 fetched  ${copy}`)
    if (copy !== original) throw new Error('the fetched file differs from the original')
    say('   byte-identical\n')

    say('5. two new machines join; the survivors notice the dead holders and rebuild their shards, no one in charge')
    for (const p of REPLACEMENTS) await startPeer(p)
    const live = daemons.filter((_, i) => !victims.includes(i))
    await waitForMesh(live, 60_000)
    let healthy = check
    const deadline = Date.now() + 120_000
    while (!healthy.healthy || healthy.shards.some((s: { peer: string | null }) => victims.includes(byPeer.get(s.peer ?? '') ?? -1))) {
      if (Date.now() > deadline) throw new Error('the swarm did not repair the file in time')
      await new Promise(resolve => setTimeout(resolve, 500))
      healthy = (await runCli(['check', shared.cid, '--repo', daemons[reader].repo, '--json'])).json
    }
    daemons.forEach((d, i) => byPeer.set(d.peerId, i))
    await cli(['check', shared.cid, '--repo', daemons[reader].repo, '--json'])
    for (const s of healthy.shards) say(`   shard ${s.index} on peer ${byPeer.get(s.peer)} (${s.region}/${s.zone})`)
    const repaired = await Promise.all(live.map(async d => (await runCli(['status', '--repo', d.repo, '--json'])).json))
    const by = repaired.findIndex(s => s.repairsDone > 0)
    say(`   ${healthy.live}/${K + M} shards live again; rebuilt by peer ${daemons.indexOf(live[by])} (${repaired[by].bytesRepaired} bytes pushed)\n`)
    say(`6. any HTTP client reads it from the nearest node's gateway: 1 MiB from the middle, as a video player seeks`)
    const gateway = daemons[reader].gateway
    if (gateway === null) throw new Error('the reader runs no gateway')
    const from = FILE_BYTES / 2
    const to = from + 1024 * 1024 - 1
    say(`  $ curl -r ${from}-${to} ${gateway}/f/${shared.cid}`)
    const response = await fetch(`${gateway}/f/${shared.cid}`, { headers: { range: `bytes=${from}-${to}` } })
    const range = Buffer.from(await response.arrayBuffer())
    const expected = (await readFile(file)).subarray(from, to + 1)
    if (response.status !== 206 || !range.equals(expected)) throw new Error(`the gateway answered ${response.status} with ${range.byteLength} bytes that ${range.equals(expected) ? 'match' : 'do not match'}`)
    say(`   ${response.status} ${response.headers.get('content-range') ?? ''}, ${range.byteLength} bytes, identical to the original's\n`)
    say('done: the swarm lost two machines, served the file anyway, healed itself, and serves it over plain HTTP.')
  } finally {
    await Promise.all(daemons.map(async d => { await d.stop() }))
    await rm(root, { recursive: true, force: true })
    stopListening()
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`)
  process.exitCode = 1
})
