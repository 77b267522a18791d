// Command-line sizes for the benchmarks: "256MiB", "64 MiB", "4096", "1GiB", "512KiB" (IEC units, bytes if none).
const UNITS: Record<string, number> = { '': 1, B: 1, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 }

export function parseSize (text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = match != null ? UNITS[match[2].toUpperCase()] : undefined
  if (match == null || unit === undefined) throw new Error(`not a size: ${JSON.stringify(text)} (use e.g. 4096, 512KiB, 64MiB, 1GiB)`)
  const bytes = Number(match[1]) * unit
  if (!Number.isSafeInteger(bytes)) throw new Error(`not a whole number of bytes: ${JSON.stringify(text)}`)
  return bytes
}

export function formatSize (bytes: number): string {
  for (const [unit, factor] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`
  }
  return `${bytes}B`
}
