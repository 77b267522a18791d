// Progress bars for long transfers, on a TTY only: pipes and --json output stay clean.
import { Transform } from 'node:stream'
import cliProgress from 'cli-progress'

export interface ByteProgress {
  /** A pass-through stream that counts the bytes flowing through it. */
  counter: Transform
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
  const mib = (n: number): number => Math.round(n / 1048576 * 10) / 10
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
  return { counter, stop: () => bar?.stop() }
}
