// What one needless copy per received byte costs: `subarray()` of a two-piece Uint8ArrayList holding a 64 KiB Noise
// message, as @chainsafe/libp2p-noise 17.0.0 did for every message that arrived in two TCP reads (docs/DEPENDENCIES.md,
// "Patched dependencies"). Prints one JSON line: CPU seconds per GB copied, median of 5 runs of 1 GiB each.
//
//   node --import tsx --import ./node/polyfill.ts bench/list-copy.ts
import { Uint8ArrayList } from 'uint8arraylist'

const MESSAGE = 65535 + 2 // NOISE_MSG_MAX_LENGTH_BYTES plus its length prefix
const first = new Uint8Array(40_000).fill(1)
const second = new Uint8Array(MESSAGE - first.byteLength).fill(2)
const messages = Math.ceil(2 ** 30 / MESSAGE)

function once (): number {
  const started = process.cpuUsage()
  let copied = 0
  for (let i = 0; i < messages; i++) {
    const list = new Uint8ArrayList(first, second)
    copied += list.subarray(0, list.byteLength - 16).byteLength
  }
  const used = process.cpuUsage(started)
  return (used.user + used.system) / 1e6 / (copied / 1e9)
}

const runs = Array.from({ length: 5 }, once).sort((a, b) => a - b)
process.stdout.write(`${JSON.stringify({ bench: 'list-copy', messageBytes: MESSAGE, cpuSecPerGB: Number(runs[2].toFixed(3)), runs: runs.map(r => Number(r.toFixed(3))) })}\n`)
