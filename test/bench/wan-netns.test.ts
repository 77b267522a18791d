// Smoke test of the emulated WAN (bench/wan/netns.ts): builds real namespaces on a bridge, checks a TCP connection
// across them, the shaping, and that nothing is left behind. Needs root, `ip` and `tc`; the delay test also needs
// netem in the kernel. Skipped, with the reason, where the machine does not allow it.
import assert from 'node:assert/strict'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { probeWan, tool, WanTopology } from '../../bench/wan/netns.ts'
import { namespaces, rttMs } from '../../bench/wan/profile.ts'

const PROBE = fileURLToPath(new URL('./fixtures/tcp-probe.mjs', import.meta.url))
const PORT = '4050'

async function serve (topology: WanTopology, i: number): Promise<ChildProcess> {
  const server = spawn(topology.prefix(i)[0], [...topology.prefix(i).slice(1), process.execPath, PROBE, 'serve', topology.host(i), PORT], { stdio: ['ignore', 'pipe', 'inherit'] })
  await once(server.stdout!, 'data')
  return server
}

async function probe (topology: WanTopology, from: number, to: number, connects: number, bytes: number): Promise<{ connectMs: number[], bytes: number, sendMs: number }> {
  const client = spawn(topology.prefix(from)[0], [...topology.prefix(from).slice(1), process.execPath, PROBE, 'probe', topology.host(to), PORT, String(connects), String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  client.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const [code] = await once(client, 'exit')
  assert.equal(code, 0)
  return JSON.parse(out)
}

function hostNamespaceHas (address: string): boolean {
  return execFileSync(tool('ip') ?? 'ip', ['-o', 'addr'], { encoding: 'utf8' }).includes(address)
}

function listed (): string {
  return execFileSync(tool('ip') ?? 'ip', ['netns', 'list'], { encoding: 'utf8' })
}

/** Two peers, a server on peer 1, a probe from peer 0; the topology is always removed and checked gone. */
async function withTwoPeers (shaping: 'netem' | 'rate-only', body: (t: WanTopology) => Promise<void>): Promise<void> {
  const topology = await WanTopology.create(2, shaping)
  let server: ChildProcess | undefined
  try {
    server = await serve(topology, 1)
    await body(topology)
  } finally {
    server?.kill('SIGTERM')
    await topology.destroy()
  }
  for (const name of namespaces(topology.plan)) assert.ok(!listed().includes(name), `${name} removed`)
}

const rateOnly = await probeWan('rate-only')
const netem = await probeWan('netem')

describe('emulated WAN: real namespaces', () => {
  it('two namespaces on a bridge: TCP across, 100 Mbit/s enforced, nothing on the host, all removed', { skip: rateOnly.ok ? false : rateOnly.reason, timeout: 20_000 }, async () => {
    await withTwoPeers('rate-only', async (topology) => {
      assert.ok(!hostNamespaceHas(topology.host(0)), 'the emulated addresses exist only inside the namespaces')
      const result = await probe(topology, 0, 1, 1, 4 * 1024 * 1024)
      assert.equal(result.bytes, 4 * 1024 * 1024)
      const mbit = result.bytes * 8 / 1e6 / (result.sendMs / 1000)
      // Load can only slow it; a figure well above the link rate would mean the shaping is not there.
      assert.ok(mbit < 100 * 1.3, `${mbit.toFixed(0)} Mbit/s across a 100 Mbit/s link`)
    })
  })

  it('netem links: a TCP handshake takes the round trip of the profile', { skip: netem.ok ? false : netem.reason, timeout: 20_000 }, async () => {
    await withTwoPeers('netem', async (topology) => {
      const expected = rttMs(topology.plan, 0, 1)
      const { connectMs } = await probe(topology, 0, 1, 5, 64 * 1024)
      const fastest = Math.min(...connectMs)
      // A connect is one round trip: never under the emulated one; load adds, so only a loose upper bound.
      assert.ok(fastest >= expected * 0.95, `connect ${fastest.toFixed(1)} ms, RTT ${expected} ms`)
      assert.ok(fastest < expected + 200, `connect ${fastest.toFixed(1)} ms, RTT ${expected} ms`)
    })
  })

  it('removes the namespaces of a run whose process is gone', { skip: rateOnly.ok ? false : rateOnly.reason, timeout: 20_000 }, async () => {
    // The pid of a process that has exited: the run that made the namespace is gone.
    const gone = spawn(process.execPath, ['-e', ''])
    await once(gone, 'exit')
    const stale = `emwan-${gone.pid ?? 0}-0-hub`
    execFileSync(tool('ip') ?? 'ip', ['netns', 'add', stale])
    try {
      const topology = await WanTopology.create(1, 'rate-only')
      await topology.destroy()
      assert.ok(!listed().includes(stale))
    } finally {
      try { execFileSync(tool('ip') ?? 'ip', ['netns', 'delete', stale], { stdio: 'ignore' }) } catch {} // removed by the test's subject
    }
  })
})
