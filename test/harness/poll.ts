// Waiting for a condition in tests: poll it with a deadline (never a sleep used as synchronisation).

/** Poll `condition` every `everyMs` until it holds (true) or `deadlineMs` passed (false). */
export async function pollUntil (deadlineMs: number, condition: () => Promise<boolean> | boolean, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    if (await condition()) return true
    if (Date.now() >= deadline) return false
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

/** Poll `condition` until it holds; throw `timed out waiting for <what>` after `timeoutMs`. */
export async function waitFor (condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs?: number): Promise<void> {
  if (!(await pollUntil(timeoutMs, condition, everyMs))) throw new Error(`timed out waiting for ${what}`)
}
