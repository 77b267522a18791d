// `--import`ed through NODE_OPTIONS by bench/transfer.ts --cpu-prof DIR (Node.js refuses --cpu-prof itself in
// NODE_OPTIONS, and the daemons are spawned by test/harness/daemon-process.ts, whose argv the bench does not control):
// profiles the main thread with the inspector and writes DIR/<verb>-<pid>.cpuprofile when it exits, for Chrome
// DevTools or `node bench/...` summaries. Plain JavaScript, not TypeScript: NODE_OPTIONS reaches every worker thread
// too (the encode worker runs compiled code without the TypeScript loader), and a .ts hook failed to load there.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'
import { isMainThread } from 'node:worker_threads'

export const CPU_PROFILE_DIR_ENV = 'EDGEMIRROR_BENCH_CPU_PROF_DIR'

const dir = process.env[CPU_PROFILE_DIR_ENV]
if (isMainThread && dir !== undefined && dir !== '') {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.start')
  // A main-thread session answers synchronously, so the profile can be taken inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err === null) writeFileSync(join(dir, `${process.argv[2] ?? 'node'}-${process.pid}.cpuprofile`), JSON.stringify(result.profile))
    })
  })
}
