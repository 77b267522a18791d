// V8 heap settings for the processes that stream file data: the daemon, the CLI and the raw-stream baseline peers.
//
// Why: every block, Noise message and HTTP chunk is an ArrayBuffer outside the JS heap, and V8 counts external
// memory allocated since the last full GC against the old generation's limit (Heap::OldGenerationSpaceAvailable,
// v8/src/heap/heap.cc, V8 11.3 in Node 20). With the default growth factor the limit sits ~24 MB over the ~24 MB of
// live objects, less the new space; a transfer keeps a few tens of MB of buffers in flight, so V8 ran a full
// mark-compact every 2–10 MB of data: 50–70 per 512 MiB share on the sharing daemon, 30–50 on a reader, with its
// concurrent marking threads a third of the process's CPU (docs/BENCHMARKS.md, "Garbage collection").
import { setFlagsFromString } from 'node:v8'

/**
 * Old generation limit = live size x (1 + this / 100) (V8's --heap-growing-percent; 0 = V8's own factor, 1.1 to 4
 * chosen from GC and mutator speeds). 300 gives external buffers ~70 MB of headroom over a ~24 MB live heap: 10 full
 * GCs instead of 68 per 512 MiB share. The live heap does not grow with it: what the limit admits is buffers that
 * die young, and the JS objects a daemon keeps are a few MB.
 */
export const HEAP_GROWING_PERCENT = 300

/**
 * Flags that only take effect on node's command line (the heap is sized when it starts): `node/cli/edgemirror.ts`
 * carries them in its shebang and `nodeCommand` (test/harness/daemon-process.ts) adds them to every child it starts.
 * A 4 MiB semi-space (V8's default is up to 16 MiB, two of them) keeps ~25 MiB less resident per process; the
 * data lives outside the heap, so more frequent scavenges cost little (docs/BENCHMARKS.md).
 */
export const STREAMING_NODE_FLAGS = ['--max-semi-space-size=4']

/** Apply the settings V8 accepts at run time; call first thing in a process that moves file data. */
export function tuneHeapForStreaming (): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}
