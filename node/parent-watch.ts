// Notice that the process which started this one has exited, however it exited (SIGKILL included). Linux gives no
// event for it to a Node process (prctl(PR_SET_PDEATHSIG) needs a native addon), but the kernel re-parents an orphan
// to init or the nearest subreaper at once, so `process.ppid` (a live getppid(2) call, not a cached value) changes.
// A pipe on stdin that closes with the parent does the same job, but it ties the daemon's lifetime to its stdio:
// `daemon --exit-with-stdin` did that for a few commits (docs/ARCHITECTURE.md).

/** Half a second: a harness that dies takes its daemons with it well within a second, for a getppid(2) call that
 *  costs microseconds. */
export const PARENT_POLL_MS = 500

/**
 * Call `onGone` once `parent` is no longer this process's parent: it exited and we were re-parented. The caller names
 * the parent (its pid, as the starter knows it) rather than reading `process.ppid` when the watch starts: a parent
 * that dies while this process is still loading would otherwise be missed for good. Returns a function that stops
 * watching. The timer is unref'd: watching never keeps a process alive.
 */
export function watchParent (parent: number, onGone: () => void, intervalMs = PARENT_POLL_MS): () => void {
  const gone = (): boolean => process.ppid !== parent
  const timer = setInterval(() => {
    if (!gone()) return
    clearInterval(timer)
    onGone()
  }, intervalMs)
  timer.unref()
  return () => { clearInterval(timer) }
}
