// Asks a daemon's control API `check CID` every EVERY_MS and prints each answer as one JSON line, until killed.
// bench/repair.ts runs it in the network of the daemon it watches: on the emulated WAN (bench/wan/) that daemon's
// control API listens on 127.0.0.1 of a namespace the bench itself is not in.
//
//   node --import tsx --import ./node/polyfill.ts bench/check-poller.ts REPO CID EVERY_MS
//
// Exits 1 (with the error on stderr) when a check fails: the watcher must not go quiet while the bench waits.
import { ApiClient } from '../node/api/client.ts'

const [repo, cid, every] = process.argv.slice(2)
const everyMs = Number(every)
if (repo === undefined || cid === undefined || !(everyMs > 0)) {
  process.stderr.write('usage: check-poller.ts REPO CID EVERY_MS\n')
  process.exit(2)
}

const api = await ApiClient.connect(repo)
process.once('SIGTERM', () => { process.exit(0) })
for (;;) {
  const started = performance.now()
  process.stdout.write(`${JSON.stringify(await api.check(cid))}\n`)
  await new Promise(resolve => setTimeout(resolve, Math.max(0, everyMs - (performance.now() - started))))
}
