// Harness only (product code never imports it): a preload (`node --import`) for the scripts a harness starts as child
// processes (a bench run by its smoke test or by bench/run.ts, the raw-stream peers of bench/transfer.ts), so that
// they exit when the harness that started them exits, however it exits. Their own children then see them go:
// daemons through `daemon --exit-with-parent`, scripts through this same preload. Without it, a test killed at its
// timeout left a bench script running with its 12 daemons (docs/ARCHITECTURE.md, "Harness processes").
//
// The parent names itself in EDGEMIRROR_EXIT_WITH_PARENT (daemon-process.ts childEnv); the variable is removed here so
// that this process's own children do not inherit a pid that is not their parent's.
import { EXIT_WITH_PARENT_ENV } from './daemon-process.ts'
import { watchParent } from '../../node/parent-watch.ts'

const parent = Number(process.env[EXIT_WITH_PARENT_ENV])
delete process.env[EXIT_WITH_PARENT_ENV]
if (Number.isInteger(parent) && parent > 0) {
  // SIGTERM, as a test runner or a shell would send: the script's own handler (if any) cleans up, else it dies.
  watchParent(parent, () => { process.kill(process.pid, 'SIGTERM') })
}
