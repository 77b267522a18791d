// Progress bars for long transfers, on a TTY only: pipes and --json output stay clean.
import { Transform } from 'node:stream'
import cliProgress from 'cli-progress'
import type { ProgressEvent } from '../../coder/progress.ts'

export interface ByteProgress {
  /** A pass-through stream that counts the bytes flowing through it. */
  counter: Transform
  /** Bytes that went through `counter` so far. */
  bytes (): number
  stop (): void
}

export function byteProgress (label: string, total: number, enabled: boolean): ByteProgress {
  const bar = enabled && process.stderr.isTTY
    ? new cliProgress.SingleBar({
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} MiB | {speed} MiB/s | eta {eta_formatted}`,
      hideCursor: true
    }, cliProgress.Presets.shades_classic)
    : undefined
  const started = Date.now()
  let done = 0
  bar?.start(mib(total), 0, { speed: '0' })
  const counter = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      done += chunk.length
      const seconds = Math.max((Date.now() - started) / 1000, 0.001)
      bar?.update(mib(done), { speed: (mib(done) / seconds).toFixed(1) })
      callback(null, chunk)
    }
  })
  return { counter, bytes: () => done, stop: () => bar?.stop() }
}

export interface EventProgress {
  /** Show the daemon's latest progress event (its phase may change: the bar then restarts its count). */
  update (event: ProgressEvent): void
  stop (): void
}

/** A bar fed by progress events rather than bytes flowing through this process (publish: the daemon reads the files). */
export function eventProgress (label: string, enabled: boolean): EventProgress {
  const bar = enabled && process.stderr.isTTY
    ? new cliProgress.SingleBar({
      stream: process.stderr,
      format: `${label} {phase} [{bar}] {percentage}% | {value}/{total} MiB`,
      hideCursor: true
    }, cliProgress.Presets.shades_classic)
    : undefined
  let started = false
  return {
    update (event) {
      if (bar === undefined) return
      const total = mib(Math.max(event.total ?? event.bytes, event.bytes))
      if (!started) {
        bar.start(total, mib(event.bytes), { phase: event.phase })
        started = true
        return
      }
      bar.setTotal(total)
      bar.update(mib(event.bytes), { phase: event.phase })
    },
    stop () {
      if (started) bar?.stop()
      started = false
    }
  }
}

function mib (n: number): number {
  return Math.round(n / 1048576 * 10) / 10
}
