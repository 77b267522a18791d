// A provider whose figure never changes: --carbon, --carbon-country, or the world default.
import { systemClock } from './reading.ts'
import type { CarbonProvider, CarbonReading, Clock } from './reading.ts'

export function staticProvider (reading: Omit<CarbonReading, 'at' | 'stale'>, clock: Clock = systemClock): CarbonProvider {
  return {
    start: async () => {},
    stop: async () => {},
    current: () => ({ ...reading, at: clock.now(), stale: false }),
    forecast: () => []
  }
}
